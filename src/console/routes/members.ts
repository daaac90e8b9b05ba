import type { ConsoleApi } from '../extensions.js'
import type { MemberDesk } from '../MemberDesk.js'
import { ContactIdParam, ErrorBody, MemberQuery, MemberResponse, PointsBody, TagParams, TagResponse } from '../schemas.js'

export function memberRoutes(api: ConsoleApi, desk: MemberDesk): void {
  const { app, deps } = api
  app.get(
    '/api/members/:contactId',
    { schema: { summary: 'a member: points per pool, ledger, tags', params: ContactIdParam, querystring: MemberQuery, response: { 200: MemberResponse, 400: ErrorBody, 404: ErrorBody } } },
    (req) => desk.get(req.params.contactId, req.query.pool),
  )
  app.post(
    '/api/members/:contactId/points',
    {
      schema: {
        summary: 'add or take away points (a ledger entry with reason adjust; never below zero)',
        params: ContactIdParam,
        body: PointsBody,
        response: { 200: MemberResponse, 400: ErrorBody },
      },
    },
    async (req) => {
      const m = desk.adjust(req.params.contactId, req.body, api.via(req))
      api.audit(req, 'points.adjust', { member: req.params.contactId, pool: req.body.pool, delta: req.body.delta, reason: req.body.reason, total: m.total })
      await deps.store.durable()
      return m
    },
  )
  app.post(
    '/api/members/:contactId/tags/:tag',
    { schema: { summary: 'tag a member (source console or api)', params: TagParams, response: { 200: TagResponse, 400: ErrorBody } } },
    async (req) => {
      const r = desk.tag(req.params.contactId, req.params.tag, api.via(req))
      if (r.changed) api.audit(req, 'tag.add', { member: r.id, tag: r.tag })
      await deps.store.durable()
      return r
    },
  )
  app.delete(
    '/api/members/:contactId/tags/:tag',
    { schema: { summary: 'remove a tag', params: TagParams, response: { 200: TagResponse, 404: ErrorBody } } },
    async (req) => {
      const r = desk.untag(req.params.contactId, req.params.tag)
      api.audit(req, 'tag.remove', { member: r.id, tag: r.tag })
      await deps.store.durable()
      return r
    },
  )
}
