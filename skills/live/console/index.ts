import { fileURLToPath } from 'node:url'
import { ErrorBody, type ConsoleSection } from '../../../src/console/extensions.js'
import { IdParams } from '../../../src/console/schemas.js'
import type { ZonedTime } from '../../../src/time/ZonedTime.js'
import { LiveDesk } from './LiveDesk.js'
import { GroupLives, liveBody, LiveCreated, LivesResponse } from './schemas.js'

/**
 * 直播 / Lives — the live desk in the console and the API (CONTRACT §8): lives across groups,
 * one live added to several groups at once, cancelled in all of them — through the skill's
 * own catalog and schedule (LiveDesk.ts), so the reminders are the ones `#live add` plans.
 * Declared in ../index.ts (`console: livesSection`); the page is `page.js`, at `#/lives` as
 * before sections existed; a group's page shows its upcoming lives (`groupFields`).
 */
export const livesSection: ConsoleSection = {
  id: 'lives',
  title: '直播 Lives',
  path: '/lives',
  order: 30,
  routes(api) {
    const { app, deps } = api
    const desk = new LiveDesk(deps)
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
  },
  groupFields: {
    shape: GroupLives,
    read: (deps, group) => ({ lives: new LiveDesk(deps).upcoming(group) }),
  },
  page: fileURLToPath(new URL('./page.js', import.meta.url)),
}
