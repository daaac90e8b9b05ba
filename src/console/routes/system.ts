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
      // anyone may ask /healthz: a short cause, never the error itself (paths, hosts, users); the
      // whole error is in the store's log line
      lastError: health.lastError === undefined ? null : storeCause(health.lastError),
      failedCommits: health.failedCommits,
    })
  })

  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => reply.type(o.metrics.contentType).send(await o.metrics.text()))

  // the paths of the sections that are off are left out (their routes answer 404)
  app.get('/api/openapi.json', { schema: { hide: true } }, () => o.sections.openapi(app.swagger()))

  // the session's secret is never handed out here: only the login response carries it
  app.get('/api/session', { schema: { summary: 'who is asking and the extra sections', response: { 200: SessionResponse } } }, (req) => ({
    via: api.via(req),
    sections: o.sections.pages(),
  }))
}

/** What an error code says, in a few words. */
const CAUSES: Record<string, string> = {
  ENOSPC: 'disk full',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EROFS: 'read-only file system',
  EIO: 'disk I/O error',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files',
  ECONNREFUSED: 'database unreachable',
  ECONNRESET: 'database unreachable',
  ETIMEDOUT: 'database unreachable',
  ENOTFOUND: 'database unreachable',
  EHOSTUNREACH: 'database unreachable',
  EAI_AGAIN: 'database unreachable',
}

/**
 * A failed commit's cause for an unauthenticated caller: the error code and what it means
 * when it is a known one (`disk full (ENOSPC)`), else only that writes fail. Nothing of the
 * message itself: it may name the data dir, a database host or user.
 */
export function storeCause(message: string): string {
  for (const code of message.match(/\bE[A-Z_]+\b/g) ?? []) {
    if (Object.hasOwn(CAUSES, code)) return `${CAUSES[code]} (${code})`
  }
  if (/connection (terminated|refused|reset)|timeout|could not connect/i.test(message)) return 'database unreachable'
  return 'store writes failing (see the log)'
}
