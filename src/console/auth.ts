import { createHash, randomBytes, timingSafeEqual } from 'node:crypto'

/** Who made a request: a browser session (`console`) or a bearer token (`api`). Audit lines name it. */
export type Via = 'console' | 'api'

export interface Session {
  id: string
  /**
   * The session's secret, given once in the login response and kept by the page in
   * sessionStorage (never a cookie): sent in the `x-csrf-token` header on every request, reads
   * included, so the cookie alone — which browsers send to every port of 127.0.0.1 — opens
   * nothing (see ConsoleAuth.checkCsrf).
   */
  csrf: string
  createdAt: number
  lastSeen: number
}

export const SESSION_COOKIE = 'siyu_session'
export const CSRF_HEADER = 'x-csrf-token'
/** A session unused this long is forgotten. */
export const SESSION_IDLE_MS = 2 * 3600_000
/** A session ends this long after its login, however busy (the page's polling does not extend it). */
export const SESSION_MAX_MS = 12 * 3600_000
/** A one-time login link works this long after it was printed. */
export const LOGIN_CODE_TTL_MS = 10 * 60_000

/** Equal strings, in time that does not depend on where they differ (hashing first evens the lengths). */
export function safeEqual(a: string, b: string): boolean {
  const ha = createHash('sha256').update(a).digest()
  const hb = createHash('sha256').update(b).digest()
  return timingSafeEqual(ha, hb)
}

const secret = (): string => randomBytes(32).toString('base64url')

/** What a one-time code is worth: a session, nothing (a wrong or used code), or `expired` (the right one, too late). */
export type CodeResult = Session | 'expired' | undefined

/**
 * The console's credentials, all in memory (a restart logs everyone out):
 * - the operator token (from the environment), for `Authorization: Bearer` and the login form;
 * - without a token, one-time login codes: the code printed at start is exchanged once for a
 *   session within 10 minutes, and a fresh one is printed for the next browser;
 * - sessions: an HttpOnly, SameSite=Strict cookie and, kept by the page, the session's secret
 *   (both are needed); 2 h unused or 12 h after the login, they end;
 * - a limit on failed logins per client, which never refuses the right token or a session.
 */
export class ConsoleAuth {
  private readonly sessions = new Map<string, Session>()
  private code: { value: string; issuedAt: number } | undefined
  private readonly failures = new FailedLogins()

  constructor(
    readonly token: string | undefined,
    private readonly now: () => number,
  ) {}

  /** A new one-time login code (the previous one stops working). */
  newLoginCode(): string {
    this.code = { value: secret(), issuedAt: this.now() }
    return this.code.value
  }

  /** No code works any more (used, or over LOGIN_CODE_TTL_MS old): time to print a fresh one. */
  codeSpent(): boolean {
    return !this.code || this.now() - this.code.issuedAt > LOGIN_CODE_TTL_MS
  }

  /** Exchange the current one-time code for a session. */
  redeemCode(code: string): CodeResult {
    if (!this.code || !safeEqual(code, this.code.value)) return undefined
    if (this.codeSpent()) return 'expired'
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

  /** The live session with this id (its use keeps it from idling out, never past SESSION_MAX_MS). */
  session(id: string | undefined): Session | undefined {
    if (!id) return undefined
    const s = this.sessions.get(id)
    if (!s) return undefined
    const now = this.now()
    if (now - s.lastSeen > SESSION_IDLE_MS || now - s.createdAt > SESSION_MAX_MS) {
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

  /** Seconds until this client's failed attempts are answered again (not with 429), or 0. */
  blockedFor(client: string): number {
    return this.failures.blockedFor(client, this.now())
  }

  /** A failed login from this client; true when it just reached the limit (worth one warning). */
  failed(client: string): boolean {
    const now = this.now()
    const before = this.failures.blockedFor(client, now)
    this.failures.add(client, now)
    return before === 0 && this.failures.blockedFor(client, now) > 0
  }
}

/**
 * At most MAX failed logins per client in WINDOW; beyond that the client's *failed* attempts
 * get 429 until the oldest failure ages out. The right token and a live session always pass,
 * whoever failed before them: on 127.0.0.1 every local program is the same address, and one
 * guessing there must not lock the operator out. (What makes guessing hopeless is the token's
 * length and the codes' 32 random bytes; the limit answers a guesser with 429 and puts them
 * in the log.) Hand-written: @fastify/rate-limit counts every request, and a correct
 * token must not be what locks an operator out.
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
