import type { ConsoleAuth } from '../auth.js'
import type { ConsoleApi, ConsoleSection } from '../extensions.js'
import type { Metrics } from '../Metrics.js'
import { SessionResponse } from '../schemas.js'

/** Health, metrics, the OpenAPI document and the page's session. */
export function systemRoutes(api: ConsoleApi, o: { auth: ConsoleAuth; metrics: Metrics; sections: readonly ConsoleSection[] }): void {
  const { app, deps } = api

  // no token: a load balancer or a supervisor asks this
  app.get('/healthz', { schema: { hide: true } }, (_req, reply) => {
    const health = deps.store.health()
    const loggedIn = deps.bot.loggedIn()
    const ok = loggedIn && health.writable
    return reply.code(ok ? 200 : 503).send({
      ok,
      connected: deps.bot.connected(),
      loggedIn,
      queueDepth: deps.queue.pending,
      storeWritable: health.writable,
      lastError: health.lastError ?? null,
      failedCommits: health.failedCommits,
    })
  })

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(o.metrics.contentType).send(await o.metrics.text()))

  app.get('/api/openapi.json', { schema: { hide: true } }, () => app.swagger())

  app.get('/api/session', { schema: { summary: 'who is asking, the CSRF token of a console session, the extra sections', response: { 200: SessionResponse } } }, (req) => ({
    via: api.via(req),
    ...(req.session ? { csrf: req.session.csrf } : {}),
    sections: o.sections.filter((s) => s.page).map((s) => ({ id: s.id, title: s.title, module: `/ext/${s.id}.js` })),
  }))
}
