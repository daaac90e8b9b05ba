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
  /** Where the one-time login URLs are printed (the terminal, never the log). */
  announce: (line: string) => void
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
  readonly app = Fastify({ bodyLimit: 64 * 1024, logger: false }).withTypeProvider<ZodTypeProvider>()
  readonly auth: ConsoleAuth
  readonly metrics: Metrics
  readonly sections: Sections
  private origin = ''

  constructor(
    private readonly deps: ConsoleDeps,
    private readonly o: ConsoleServerOptions,
  ) {
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
    memberRoutes(api, desks.members)
    // the skills' sections (orders, lives, removals…) and any that are no skill's
    await this.sections.register(app, api)
  }

  /**
   * Every request: a Host this server answers to (a DNS-rebinding page cannot borrow the
   * loopback console), then for the API and metrics either the bearer token or a session
   * cookie; with the cookie, every change must carry the session's CSRF token in a header.
   */
  private guard(req: FastifyRequest, reply: FastifyReply, done: () => void): void {
    if (isLoopback(this.o.host)) {
      const host = (req.headers.host ?? '').replace(/:\d+$/, '')
      if (!isLoopback(host)) return void reply.code(403).send({ error: 'this console answers on 127.0.0.1 only' })
    }
    // the route the router matched, not the raw URL: an encoded or odd path cannot slip past
    const route = req.routeOptions.url ?? ''
    const needsAuth = (route.startsWith('/api/') && route !== '/api/openapi.json') || route === '/metrics'
    if (!needsAuth) return done()

    const address = req.ip
    const wait = this.auth.blockedFor(address)
    if (wait > 0) return void reply.code(429).header('retry-after', String(wait)).send({ error: `too many failed logins; try again in ${wait} s` })

    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1]
    if (bearer !== undefined) {
      if (!this.auth.tokenMatches(bearer)) {
        this.auth.failed(address)
        return void reply.code(401).send({ error: 'wrong token' })
      }
      req.via = 'api'
      return done()
    }
    const session = this.auth.session(req.cookies[SESSION_COOKIE])
    if (!session) return void reply.code(401).send({ error: 'log in first (Authorization: Bearer <token>, or the console login)' })
    if (!['GET', 'HEAD', 'OPTIONS'].includes(req.method)) {
      // SameSite=Strict keeps other sites' requests from carrying the cookie; the header
      // token (which a cross-origin page can neither read nor set without a CORS preflight
      // this server never grants) covers older browsers and same-site neighbours
      const origin = req.headers.origin
      if (origin !== undefined && origin !== this.origin && origin !== `http://${req.headers.host}`) {
        return void reply.code(403).send({ error: 'cross-origin change refused' })
      }
      const header = req.headers[CSRF_HEADER]
      if (!this.auth.checkCsrf(session, typeof header === 'string' ? header : undefined)) {
        return void reply.code(403).send({ error: `missing or wrong ${CSRF_HEADER} header` })
      }
    }
    req.via = 'console'
    req.session = session
    done()
  }

  private loginRoutes(): void {
    const app = this.app
    const cookie = { httpOnly: true, sameSite: 'strict' as const, path: '/' }
    app.get('/login', { schema: { hide: true, querystring: z.object({ code: z.string().max(200).optional() }) } }, (req, reply) => {
      const code = req.query.code
      if (code === undefined) return reply.sendFile('login.html')
      const wait = this.auth.blockedFor(req.ip)
      if (wait > 0) return reply.code(429).type('text/plain; charset=utf-8').send(`登录失败次数过多，请 ${wait} 秒后再试 (too many failed logins)`)
      const session = this.auth.redeemCode(code)
      if (!session) {
        this.auth.failed(req.ip)
        return reply.code(401).type('text/html; charset=utf-8').send(LINK_USED)
      }
      this.deps.log.info({ via: 'console' }, 'console login with the one-time link')
      // the next browser needs its own link: printed on the terminal, like the first
      this.o.announce(`控制台的下一个一次性登录链接 (next one-time console login): ${this.loginUrl()}`)
      return reply.setCookie(SESSION_COOKIE, session.id, cookie).redirect('/', 303)
    })
    app.post('/login', { schema: { hide: true, body: z.object({ token: z.string().max(500) }) } }, (req, reply) => {
      const wait = this.auth.blockedFor(req.ip)
      if (wait > 0) return reply.code(429).send({ error: `too many failed logins; try again in ${wait} s` })
      if (!this.auth.tokenMatches(req.body.token)) {
        this.auth.failed(req.ip)
        this.deps.log.warn({ via: 'console' }, 'console login refused: wrong token')
        return reply.code(401).send({ error: this.auth.token ? 'wrong token' : 'no token is set: use the one-time link printed at start' })
      }
      const session = this.auth.newSession()
      this.deps.log.info({ via: 'console' }, 'console login with the token')
      return reply.setCookie(SESSION_COOKIE, session.id, cookie).send({ ok: true })
    })
    app.post('/logout', { schema: { hide: true } }, (req, reply) => {
      this.auth.endSession(req.cookies[SESSION_COOKIE])
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

const LINK_USED = `<!doctype html><meta charset="utf-8"><title>siyu 登录</title>
<p>这个登录链接无效或已经用过了。请使用终端里打印的最新一次性链接。</p>
<p lang="en">This login link is not valid or was used already: use the newest one-time link printed on the terminal.</p>`
