import type { ConsoleAuth } from '../auth.js'
import type { ConsoleApi } from '../extensions.js'
import type { Metrics } from '../Metrics.js'
import { SessionResponse } from '../schemas.js'
import type { Sections } from '../Sections.js'

/** Health, metrics, the OpenAPI document and the page's session. */
export function systemRoutes(api: ConsoleApi, o: { auth: ConsoleAuth; metrics: Metrics; sections: Sections }): void {
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

  // the paths of the sections that are off are left out (their routes answer 404)
  app.get('/api/openapi.json', { schema: { hide: true } }, () => o.sections.openapi(app.swagger()))

  app.get('/api/session', { schema: { summary: 'who is asking, the CSRF token of a console session, the extra sections', response: { 200: SessionResponse } } }, (req) => ({
    via: api.via(req),
    ...(req.session ? { csrf: req.session.csrf } : {}),
    sections: o.sections.pages(),
  }))
}
