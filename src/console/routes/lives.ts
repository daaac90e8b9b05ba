import type { ZonedTime } from '../../time/ZonedTime.js'
import type { ConsoleApi } from '../extensions.js'
import type { LiveDesk } from '../LiveDesk.js'
import { ErrorBody, IdParams, liveBody, LiveCreated, LivesResponse } from '../schemas.js'

export function liveRoutes(api: ConsoleApi, desk: LiveDesk): void {
  const { app, deps } = api
  // the config's own live schema reads times in bot.timezone, which a reload may change: ask the engine each time
  const currentZone = new Proxy({} as ZonedTime, {
    get: (_t, key) => {
      const time = deps.engine.time as unknown as Record<string | symbol, unknown>
      const v = time[key]
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(time) : v
    },
  })
  app.get('/api/lives', { schema: { summary: 'upcoming lives across groups', response: { 200: LivesResponse } } }, () => desk.list())
  app.post(
    '/api/lives',
    { schema: { summary: 'add one live to one or more groups (the same reminders as #live add)', body: liveBody(currentZone), response: { 201: LiveCreated, 400: ErrorBody } } },
    async (req, reply) => {
      const created = desk.add(req.body, api.via(req))
      api.audit(req, 'live.add', { live: created.id, groups: created.groups, title: req.body.title, start: new Date(req.body.start).toISOString() })
      await deps.store.durable()
      return reply.code(201).send(created)
    },
  )
  app.delete(
    '/api/lives/:id',
    { schema: { summary: 'cancel a live (in every group it is in) and its reminders', params: IdParams, response: { 200: LiveCreated, 404: ErrorBody } } },
    async (req) => {
      const done = desk.cancel(req.params.id, api.via(req))
      api.audit(req, 'live.cancel', { live: req.params.id, groups: done.groups })
      await deps.store.durable()
      return done
    },
  )
}
