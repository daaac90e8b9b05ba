import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Who made a request: a browser session (`console`) or a bearer token (`api`). Audit lines name it. */
export type Via = 'console' | 'api'

export interface Session {
  id: string
  /** Sent back in the `x-csrf-token` header on every change (see ConsoleAuth.checkCsrf). */
  csrf: string
  createdAt: number
  lastSeen: number
}

export const SESSION_COOKIE = 'siyu_session'
export const CSRF_HEADER = 'x-csrf-token'
/** A session unused this long is forgotten. */
export const SESSION_IDLE_MS = 12 * 3600_000

/** Equal strings, in time that does not depend on where they differ (hashing first evens the lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

const secret = (): string => randomBytes(32).toString('base64url')

/**
 * The console's credentials, all in memory (a restart logs everyone out):
 * - the operator token (from the environment), for `Authorization: Bearer` and the login form;
 * - without a token, one-time login codes: the code printed at start is exchanged once for a
 *   session, and a fresh one is printed for the next browser;
 * - sessions (an HttpOnly, SameSite=Strict cookie) each with its CSRF token;
 * - a limit on failed logins per address.
 */
export class ConsoleAuth {
  private readonly sessions = new Map<string, Session>()
  private code: string | undefined
  private readonly failures = new FailedLogins()

  constructor(
    readonly token: string | undefined,
    private readonly now: () => number,
  ) {}

  /** A new one-time login code (the previous one stops working). */
  newLoginCode(): string {
    this.code = secret()
    return this.code
  }

  /** Exchange a one-time code for a session; undefined when it is not the current code. */
  redeemCode(code: string): Session | undefined {
    if (!this.code || !safeEqual(code, this.code)) return undefined
    this.code = undefined
    return this.newSession()
  }

  tokenMatches(given: string): boolean {
    return this.token !== undefined && safeEqual(given, this.token)
  }

  newSession(): Session {
    const now = this.now()
    const s: Session = { id: secret(), csrf: secret(), createdAt: now, lastSeen: now }
    this.sessions.set(s.id, s)
    return s
  }

  session(id: string | undefined): Session | undefined {
    if (!id) return undefined
    const s = this.sessions.get(id)
    if (!s) return undefined
    const now = this.now()
    if (now - s.lastSeen > SESSION_IDLE_MS) {
      this.sessions.delete(id)
      return undefined
    }
    s.lastSeen = now
    return s
  }

  endSession(id: string | undefined): void {
    if (id) this.sessions.delete(id)
  }

  checkCsrf(session: Session, header: string | undefined): boolean {
    return typeof header === 'string' && safeEqual(header, session.csrf)
  }

  /** Seconds until this address may try again, or 0. */
  blockedFor(address: string): number {
    return this.failures.blockedFor(address, this.now())
  }

  failed(address: string): void {
    this.failures.add(address, this.now())
  }
}

/**
 * At most MAX failed logins per address in WINDOW; then every attempt from it is refused
 * until the oldest failure ages out. Hand-written: @fastify/rate-limit counts every request,
 * and a correct token must not be what locks an operator out.
 */
class FailedLogins {
  static readonly MAX = 10
  static readonly WINDOW_MS = 15 * 60_000
  private readonly byAddress = new Map<string, number[]>()

  add(address: string, now: number): void {
    const list = this.recent(address, now)
    list.push(now)
    this.byAddress.set(address, list)
    if (this.byAddress.size > 10_000) this.byAddress.delete(this.byAddress.keys().next().value!)
  }

  blockedFor(address: string, now: number): number {
    const list = this.recent(address, now)
    if (list.length < FailedLogins.MAX) return 0
    return Math.ceil((list[list.length - FailedLogins.MAX]! + FailedLogins.WINDOW_MS - now) / 1000)
  }

  private recent(address: string, now: number): number[] {
    return (this.byAddress.get(address) ?? []).filter((t) => now - t < FailedLogins.WINDOW_MS)
  }
}
