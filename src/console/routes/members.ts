import type { ConsoleApi } from '../extensions.js'
import type { MemberDesk } from '../MemberDesk.js'
import type { MemberListDesk } from '../MemberListDesk.js'
import { ChurnQuery, ChurnResponse, ForgetResponse, MemberCsvQuery, MemberListQuery, MemberListResponse, TimelineResponse } from '../memberSchemas.js'
import { ContactIdParam, ErrorBody, MemberQuery, MemberResponse, PointsBody, TagParams, TagResponse } from '../schemas.js'

export function memberRoutes(api: ConsoleApi, desk: MemberDesk, list: MemberListDesk): void {
  const { app, deps } = api
  app.get(
    '/api/members',
    {
      schema: {
        summary: 'the member list (会员): search by any name seen or id; filters; sort; pages (CONTRACT §11)',
        querystring: MemberListQuery,
        response: { 200: MemberListResponse, 400: ErrorBody },
      },
    },
    (req) => list.list(req.query),
  )
  app.get(
    '/api/members.csv',
    { schema: { summary: 'the member list as CSV (UTF-8 with BOM, opens in Excel): the same filters and sort, every match', querystring: MemberCsvQuery, response: { 400: ErrorBody } } },
    async (req, reply) => {
      const stream = list.csv(req.query)
      await reply.type('text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="members.csv"').send(stream as never)
    },
  )
  app.get(
    '/api/members/:contactId',
    { schema: { summary: 'a member: points per pool, ledger, tags; names, groups with joins and leaves, whom they invited', params: ContactIdParam, querystring: MemberQuery, response: { 200: MemberResponse, 400: ErrorBody, 404: ErrorBody } } },
    (req) => ({ ...desk.get(req.params.contactId, req.query.pool), ...list.profile(req.params.contactId) }),
  )
  app.get(
    '/api/members/:contactId/timeline',
    { schema: { summary: 'a member’s timeline, newest first: joins, leaves, names, messages per day, check-ins, points, orders, strikes, hand-offs, tags', params: ContactIdParam, response: { 200: TimelineResponse, 404: ErrorBody } } },
    (req) => list.timeline(req.params.contactId),
  )
  app.get(
    '/api/members/:contactId/export',
    { schema: { summary: 'everything kept about one member, as JSON (个人信息: the record, tags, points and ledger, hand-offs, the timeline, each skill’s data)', params: ContactIdParam, response: { 404: ErrorBody } } },
    async (req, reply) => {
      const data = list.export(req.params.contactId)
      api.audit(req, 'member.export', { member: req.params.contactId })
      await reply.header('content-disposition', `attachment; filename="member-${encodeURIComponent(req.params.contactId)}.json"`).send(data as never)
    },
  )
  app.delete(
    '/api/members/:contactId',
    { schema: { summary: 'forget a member: every record removed, totals kept under an anonymous id (CONTRACT §11); one commit', params: ContactIdParam, response: { 200: ForgetResponse, 404: ErrorBody } } },
    async (req) => {
      list.requireKnown(req.params.contactId)
      const r = await deps.engine.forget(req.params.contactId, api.via(req))
      api.audit(req, 'member.forget', { member: req.params.contactId, anonymousId: r.anonymousId })
      return { id: req.params.contactId, forgotten: true as const, anonymousId: r.anonymousId, removed: r.removed }
    },
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
  app.get(
    '/api/churn',
    {
      schema: {
        summary: '流失 for a group: joins, leaves and net per day, members silent ≥ 7/30 days, cohort retention after 1/2/4/8 weeks, leaves within an hour after a bot message',
        querystring: ChurnQuery,
        response: { 200: ChurnResponse, 400: ErrorBody },
      },
    },
    (req) => list.churn(req.query.group, req.query.days),
  )
}
