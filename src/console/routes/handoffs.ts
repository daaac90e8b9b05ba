import type { ConsoleApi } from '../extensions.js'
import type { HandoffDesk } from '../HandoffDesk.js'
import { ErrorBody, HandoffReplyBody, HandoffShape, HandoffsQuery, IdParams } from '../schemas.js'

export function handoffRoutes(api: ConsoleApi, desk: HandoffDesk): void {
  const { app, deps } = api
  app.get(
    '/api/handoffs',
    { schema: { summary: 'questions the bot handed to people, newest first', querystring: HandoffsQuery, response: { 200: HandoffShape.array(), 400: ErrorBody } } },
    (req) => desk.list(req.query.status),
  )
  app.post(
    '/api/handoffs/:id/reply',
    {
      schema: {
        summary: 'say a reply in the room, @ the member (through the send queue); closes the hand-off unless close is false',
        params: IdParams,
        body: HandoffReplyBody,
        response: { 200: HandoffShape, 400: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const h = desk.reply(req.params.id, req.body.text, req.body.close, api.via(req))
      api.audit(req, 'handoff.reply', { handoff: h.id, room: h.roomId, member: h.memberId, closed: h.status === 'closed' })
      await deps.store.durable()
      return h
    },
  )
  app.post(
    '/api/handoffs/:id/close',
    { schema: { summary: 'close a hand-off without a reply', params: IdParams, response: { 200: HandoffShape, 404: ErrorBody } } },
    async (req) => {
      const h = desk.close(req.params.id, api.via(req))
      api.audit(req, 'handoff.close', { handoff: h.id })
      await deps.store.durable()
      return h
    },
  )
}
