import type { Logger } from 'pino'

export interface SupervisorOptions {
  start: () => Promise<void>
  stop: () => Promise<void>
  log: Logger
  /** Restart when neither a login nor a QR code arrived this long after a start (default 30 s). */
  loginTimeoutMs?: number
  /**
   * The first start's wait for a login, when shorter (a takeover from another process). A
   * puppet service serves one client: while the old active's stream is still open the new
   * client's start resolves but gets no events, and only a restart after the old one let go
   * brings the login (wechaty.md, "One client per server"). The session is known to be up,
   * so waiting the full `loginTimeoutMs` would only push the takeover past its 30 s.
   */
  firstLoginTimeoutMs?: number
  /** Waits between restarts: doubling from the first to the last (default 1 s … 10 s). */
  backoffMs?: [number, number]
}

/** Errors that mean the line to the puppet service is down (gRPC codes and puppet states). */
const CONNECTION_ERROR = /\b(1 CANCELLED|14 UNAVAILABLE|4 DEADLINE_EXCEEDED|DEADLINE_EXCEEDED|ECONNREFUSED|ECONNRESET|WatchdogAgent reset|not logged in)\b/i

/**
 * Keeps the bot connected. Wechaty does not reconnect by itself when the puppet service is
 * unreachable at start or goes away: after a start it waits for a login (or a QR code,
 * which means a human is needed and we wait), and on connection errors it restarts the
 * puppet (stop, then start) with a growing pause until a login comes back.
 */
export class ConnectionSupervisor {
  private loginTimer: NodeJS.Timeout | undefined
  private restartTimer: NodeJS.Timeout | undefined
  private restarting = false
  private failedDuringRestart = false
  private attempt = 0
  private loggedIn = false
  private closed = false

  constructor(private readonly o: SupervisorOptions) {}

  static isConnectionError(err: unknown): boolean {
    return CONNECTION_ERROR.test(String((err as Error)?.message ?? err))
  }

  async begin(): Promise<void> {
    await this.o.start()
    this.armLoginTimer(this.o.firstLoginTimeoutMs)
  }

  onLogin(): void {
    this.loggedIn = true
    this.attempt = 0
    this.clearLoginTimer()
  }

  onScan(): void {
    // a QR code: the service is reachable and a person has to scan; restarting would only
    // replace the code they are looking at
    this.clearLoginTimer()
  }

  onLogout(): void {
    this.loggedIn = false
    this.armLoginTimer()
  }

  onError(err: unknown): void {
    if (this.closed || !ConnectionSupervisor.isConnectionError(err)) return
    this.loggedIn = false
    if (this.restarting) {
      this.failedDuringRestart = true
      return
    }
    this.scheduleRestart(String((err as Error)?.message ?? err))
  }

  get connected(): boolean {
    return this.loggedIn
  }

  shutdown(): void {
    this.closed = true
    this.clearLoginTimer()
    if (this.restartTimer) clearTimeout(this.restartTimer)
  }

  private armLoginTimer(timeoutMs = this.o.loginTimeoutMs ?? 30_000): void {
    if (this.closed) return
    this.clearLoginTimer()
    this.loginTimer = setTimeout(() => {
      if (!this.loggedIn) this.scheduleRestart('no login after start')
    }, timeoutMs)
    this.loginTimer.unref()
  }

  private clearLoginTimer(): void {
    if (this.loginTimer) clearTimeout(this.loginTimer)
    this.loginTimer = undefined
  }

  private scheduleRestart(reason: string): void {
    if (this.closed || this.restarting || this.restartTimer) return
    const [first, last] = this.o.backoffMs ?? [1_000, 10_000]
    const wait = Math.min(last, first * 2 ** this.attempt)
    this.attempt++
    this.o.log.warn({ reason, inMs: wait, attempt: this.attempt }, 'connection to WeChat lost; restarting the puppet')
    this.clearLoginTimer()
    this.restartTimer = setTimeout(() => void this.restart(), wait)
    this.restartTimer.unref()
  }

  private async restart(): Promise<void> {
    this.restartTimer = undefined
    if (this.closed || this.loggedIn) return
    this.restarting = true
    this.failedDuringRestart = false
    try {
      await this.o.stop().catch((err: unknown) => this.o.log.debug({ err }, 'puppet stop during restart failed'))
      if (this.closed) return
      await this.o.start()
    } catch (err) {
      this.o.log.warn({ err }, 'puppet start failed')
    } finally {
      this.restarting = false
    }
    if (this.loggedIn) return
    if (this.failedDuringRestart) this.scheduleRestart('puppet service still unreachable')
    else this.armLoginTimer()
  }
}
