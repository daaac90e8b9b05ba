import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyCookie from '@fastify/cookie'
import fastifyStatic from '@fastify/static'
import fastifySwagger from '@fastify/swagger'
import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify'
import { hasZodFastifySchemaValidationErrors, jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod'
import { z } from 'zod'
import { ConsoleAuth, CSRF_HEADER, SESSION_COOKIE, type Session, type Via } from './auth.js'
import { ApiError, type ConsoleDeps } from './ConsoleDeps.js'
import { CONSOLE_SECTIONS, type ConsoleApi, type ConsoleSection } from './extensions.js'
import { GroupDesk } from './GroupDesk.js'
import { HandoffDesk } from './HandoffDesk.js'
import { MemberDesk } from './MemberDesk.js'
import { MemberListDesk } from './MemberListDesk.js'
import { Metrics } from './Metrics.js'
import { groupRoutes } from './routes/groups.js'
import { handoffRoutes } from './routes/handoffs.js'
import { memberRoutes } from './routes/members.js'
import { systemRoutes } from './routes/system.js'
import { Sections } from './Sections.js'

declare module 'fastify' {
  interface FastifyRequest {
    via?: Via
    session?: Session
  }
}

export interface ConsoleServerOptions {
  host: string
  port: number
  /** The operator token (from `console.tokenEnv`); none: one-time login codes, loopback only. */
  token: string | undefined
  /**
   * Where each one-time login URL goes (a terminal, or a file only its owner reads — never the
   * log), with a word on why: `start`, `next` (the last one was used), `expired`.
   */
  announce: (url: string, why: 'start' | 'next' | 'expired') => void
  /**
   * Behind a reverse proxy (`console.trustProxy`): the client is X-Forwarded-For's (the
   * failed-login limit is per client) and X-Forwarded-Proto `https` makes the cookie Secure.
   */
  trustProxy?: boolean
  /** Time the puppet's sends (for /metrics); returns how to undo it. */
  wrapSend?: (timed: <T>(send: () => Promise<T>) => Promise<T>) => () => void
  /** Sections that are no skill's (default CONSOLE_SECTIONS); the skills' own come from `deps.engine`. */
  sections?: readonly ConsoleSection[]
}

const WEB = join(dirname(fileURLToPath(import.meta.url)), 'web')
const ECHARTS = join(dirname(createRequire(import.meta.url).resolve('echarts/package.json')), 'dist')
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]'])

export function isLoopback(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

/**
 * The operator console and the brand API (CONTRACT §8) on one HTTP port: Fastify, routes
 * validated by zod schemas that also generate `/api/openapi.json`, the page served from
 * `web/` and ECharts from node_modules (no CDN, no build step).
 */
export class ConsoleServer {
  readonly app
  readonly auth: ConsoleAuth
  readonly metrics: Metrics
  readonly sections: Sections
  private origin = ''

  constructor(
    private readonly deps: ConsoleDeps,
    private readonly o: ConsoleServerOptions,
  ) {
    this.app = Fastify({ bodyLimit: 64 * 1024, logger: false, trustProxy: o.trustProxy ?? false }).withTypeProvider<ZodTypeProvider>()
    this.auth = new ConsoleAuth(o.token, () => deps.clock.now())
    this.sections = new Sections(deps, o.sections ?? CONSOLE_SECTIONS)
    this.metrics = new Metrics(deps, { wrapSend: o.wrapSend, sections: () => this.sections.registries() })
  }

  /** Listen; resolves to the base URL. */
  async start(): Promise<string> {
    await this.build()
    await this.app.listen({ host: this.o.host, port: this.o.port })
    const addr = this.app.server.address()
    const port = typeof addr === 'object' && addr ? addr.port : this.o.port
    const shownHost = this.o.host.includes(':') ? `[${this.o.host}]` : this.o.host
    this.origin = `http://${shownHost === '0.0.0.0' || shownHost === '[::]' ? '127.0.0.1' : shownHost}:${port}`
    return this.origin
  }

  /** A fresh one-time login URL (no token configured), to print on the terminal. */
  loginUrl(): string {
    return `${this.origin}/login?code=${this.auth.newLoginCode()}`
  }

  /** Make a fresh one-time login URL and hand it to `announce` (the terminal, or the link file). */
  announce(why: 'start' | 'next' | 'expired'): void {
    this.o.announce(this.loginUrl(), why)
  }

  async close(): Promise<void> {
    this.metrics.close()
    this.sections.close()
    await this.app.close()
  }

  private async build(): Promise<void> {
    const app = this.app
    app.setValidatorCompiler(validatorCompiler)
    // responses are documented by their schemas and tested against them; never a 500 over one
    app.setSerializerCompiler(() => (data) => JSON.stringify(data))
    app.setErrorHandler((err, req, reply) => this.onError(err, req, reply))
    app.setNotFoundHandler((_req, reply) => void reply.code(404).send({ error: 'not found' }))
    await app.register(fastifyCookie)
    await app.register(fastifySwagger, {
      openapi: {
        info: { title: 'siyu 私域 API', version: '1', description: 'The operator console and brand API (CONTRACT §8). Authorization: Bearer <token>.' },
        components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
        security: [{ bearer: [] }],
      },
      transform: jsonSchemaTransform,
    })
    app.addHook('onRequest', (req, reply, done) => this.guard(req, reply, done))
    app.addHook('onSend', (req, reply, payload, done) => {
      reply.header('x-content-type-options', 'nosniff')
      reply.header('referrer-policy', 'no-referrer')
      reply.header('x-frame-options', 'DENY')
      reply.header(
        'content-security-policy',
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
      )
      if (req.url.startsWith('/api/') || req.url.startsWith('/login')) reply.header('cache-control', 'no-store')
      done(null, payload)
    })

    await app.register(fastifyStatic, { root: WEB, prefix: '/', index: 'index.html' })
    await app.register(fastifyStatic, { root: ECHARTS, prefix: '/vendor/echarts/', decorateReply: false, allowedPath: (p) => p.endsWith('.mjs') || p.endsWith('.js') })

    const handoffs = new HandoffDesk(this.deps)
    const desks = { handoffs, groups: new GroupDesk(this.deps, handoffs, this.sections), members: new MemberDesk(this.deps) }
    const api: ConsoleApi = {
      app,
      deps: this.deps,
      via: (req) => req.via ?? 'api',
      audit: (req, action, fields) => this.deps.log.info({ audit: true, via: req.via, action, ...fields }, `${req.via} change`),
    }
    this.loginRoutes()
    systemRoutes(api, { auth: this.auth, metrics: this.metrics, sections: this.sections })
    groupRoutes(api, desks.groups, this.sections.groupShape())
    handoffRoutes(api, desks.handoffs)
    memberRoutes(api, desks.members, new MemberListDesk(this.deps))
    // the skills' sections (orders, lives, removals…) and any that are no skill's
    await this.sections.register(app, api)
  }

  /**
   * Every request: a Host this server answers to (a DNS-rebinding page cannot borrow the
   * loopback console), then for the API, metrics and logout either the bearer token or a
   * session: its cookie *and* its secret in the `x-csrf-token` header (the page keeps it in
   * sessionStorage), on reads too — browsers send 127.0.0.1's cookies to every port, so a
   * program on another port gets the cookie and must get nothing with it. A change also needs
   * a same-origin `Origin` when one is sent. The right token and a live session always pass:
   * the failed-login limit (per client) only answers failures.
   */
  private guard(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (isLoopback(this.o.host)) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '')
      if (!isLoopback(host)) return void reply.code(403).send({ error: 'this console answers on 127.0.0.1 only' })
    }
    // the route the router matched, not the raw URL: an encoded or odd path cannot slip past
    const route = req.routeOptions.url ?? ''
    const needsAuth = (route.startsWith('/api/') && route !== '/api/openapi.json') || route === '/metrics' || route === '/logout'
    if (!needsAuth) return done()

    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    if (bearer !== undefined) {
      if (this.auth.tokenMatches(bearer)) {
        req.via = 'api'
        return done()
      }
      return void this.refuse(req, reply, 'wrong token')
    }
    const session = this.auth.session(req.cookies[SESSION_COOKIE])
    const header = req.headers[CSRF_HEADER]
    if (!session || !this.auth.checkCsrf(session, typeof header === 'string' ? header : undefined)) {
      // no failure counted: a cookie is no guess (and a page open across a restart is no attacker)
      return void reply.code(401).send({ error: 'log in first (Authorization: Bearer <token>, or the console login in this tab)' })
    }
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      // SameSite=Strict keeps other sites' requests from carrying the cookie, and none can set
      // the header without a CORS preflight this server never grants; the Origin is checked too
      const origin = req.headers.origin
      if (origin !== undefined && origin !== this.origin && origin !== `${req.protocol}://${req.host}`) {
        return void reply.code(403).send({ error: 'cross-origin change refused' })
      }
    }
    req.via = 'console'
    req.session = session
    done()
  }

  /** A failed login: counted for this client; past the limit a 429 (the log says so once a window). */
  private refuse(req: FastifyRequest, reply: FastifyReply, error: string): FastifyReply {
    if (this.auth.failed(req.ip)) this.deps.log.warn({ client: req.ip, via: 'console' }, 'console: too many failed logins from one client; its failures get 429 for 15 minutes (the right token and live sessions still work)')
    const wait = this.auth.blockedFor(req.ip)
    if (wait > 0) return reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed logins; try again in ${wait} s` })
    return reply.code(401).send({ error })
  }

  private loginRoutes(): void {
    const app = this.app
    // Secure over TLS (behind a proxy that says so, with console.trustProxy)
    const cookie = (req: FastifyRequest) => ({ httpOnly: true, sameSite: 'strict' as const, path: '/', secure: req.protocol === 'https' })
    // the page: the login form, or (?code=) the page that exchanges the one-time code by POST
    // and keeps the session's secret; opening it changes nothing, so a link preview cannot spend it
    app.get('/login', { schema: { hide: true, querystring: z.object({ code: z.string().max(200).optional() }) } }, (req, reply) => {
      if (req.query.code === undefined && !this.auth.token && this.auth.codeSpent()) this.announce('expired')
      return reply.sendFile('login.html')
    })
    app.post('/login', { schema: { hide: true, body: z.union([z.object({ token: z.string().max(500) }), z.object({ code: z.string().max(200) })]) } }, (req, reply) => {
      const body = req.body
      let session: Session | undefined
      if ('code' in body) {
        const r = this.auth.redeemCode(body.code)
        if (r === 'expired') {
          // the right link, too late: not a guess; a fresh one goes where the first went
          this.announce('expired')
          return reply.code(401).send({ error: 'this login link expired (10 minutes); a fresh one was printed where the first one was', expired: true })
        }
        if (!r) return this.refuse(req, reply, 'this login link is not valid or was used already: use the newest one printed on the terminal')
        session = r
        this.deps.log.info({ via: 'console' }, 'console login with the one-time link')
        // the next browser needs its own link: printed where the first one was
        this.announce('next')
      } else {
        if (!this.auth.tokenMatches(body.token)) {
          this.deps.log.warn({ via: 'console' }, 'console login refused: wrong token')
          return this.refuse(req, reply, this.auth.token ? 'wrong token' : 'no token is set: use the one-time link printed at start')
        }
        session = this.auth.newSession()
        this.deps.log.info({ via: 'console' }, 'console login with the token')
      }
      // the secret goes to the page once, here; it keeps it in sessionStorage (never a cookie)
      return reply.setCookie(SESSION_COOKIE, session.id, cookie(req)).send({ ok: true, secret: session.csrf })
    })
    // behind the same session and Origin checks as the API (see guard)
    app.post('/logout', { schema: { hide: true } }, (req, reply) => {
      this.auth.endSession(req.session?.id)
      return reply.clearCookie(SESSION_COOKIE, { path: '/' }).send({ ok: true })
    })
  }

  private onError(err: unknown, req: FastifyRequest, reply: FastifyReply): void {
    if (err instanceof ApiError) return void reply.code(err.status).send({ error: err.message })
    if (hasZodFastifySchemaValidationErrors(err)) {
      const where = (err as { validationContext?: string }).validationContext ?? 'request'
      const lines = err.validation.map((v) => `${where}${v.instancePath.replace(/\//g, '.')}: ${v.message}`)
      return void reply.code(400).send({ error: lines.join('; ') })
    }
    const status = (err as { statusCode?: number }).statusCode
    if (status !== undefined && status >= 400 && status < 500) return void reply.code(status).send({ error: (err as Error).message })
    // the route's pattern, never the URL (a login link carries its code)
    this.deps.log.error({ err, route: req.routeOptions.url, method: req.method }, 'console request failed')
    reply.code(500).send({ error: 'internal error (logged)' })
  }
}
