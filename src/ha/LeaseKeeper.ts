import { hostname } from 'node:os'
import { randomUUID } from 'node:crypto'
import type { Logger } from 'pino'
import type pg from 'pg'
import { connectClient, endQuietly, isConnectionError, type PgTarget } from '../store/postgres/connection.js'
import type { PgNames } from '../store/postgres/schema.js'

export interface LeaseTiming {
  /** How long a lease lasts after each renewal, in the database's time (default 10 s). */
  ttlMs: number
  /** How often the active renews it (default every 2 s). */
  renewEveryMs: number
  /**
   * The active stops sending this long before its lease could have expired, counted by its
   * own clock from the moment it *sent* its last successful renewal (default 2 s): a send
   * already under way then ends before any standby can hold the lease.
   */
  marginMs: number
  /** How often a standby looks whether the lease has expired (default every 1 s). */
  pollMs: number
}

export const DEFAULT_LEASE: LeaseTiming = { ttlMs: 10_000, renewEveryMs: 2_000, marginMs: 2_000, pollMs: 1_000 }

/**
 * Active/standby on one database (CONTRACT §9 "Two machines"). The lease is one row: holder,
 * expiry (database time) and a fencing token that grows by one at every acquisition.
 *
 * - `acquire()` waits until the lease is free or expired and takes it with a new token (a
 *   row update, not an advisory lock: a dead machine's TCP session can look alive for
 *   minutes, a row's expiry cannot).
 * - The active renews it every `renewEveryMs`. `sending` turns false as soon as the lease
 *   *could* have expired by the active's own (monotonic) clock, minus a margin — before any
 *   standby can take it — and true again if a later renewal finds the token still ours.
 * - A renewal that finds another token, or a commit refused by the fence (see
 *   PostgresAdapter), means the lease is lost for good: `lost` resolves, and the process must
 *   stop (its state can no longer be trusted).
 * - So does a lease that could not be renewed for its whole duration (`ttlMs` since the last
 *   renewal was sent, by the active's own clock): a network cut between the active and the
 *   database fails every renewal with a connection error, and the process would never learn
 *   that a standby holds the lease by now. It cannot tell a cut from the database being down,
 *   so it stops either way; restarted by its supervisor it becomes the standby, or the active
 *   again once the database answers.
 */
export class LeaseKeeper {
  readonly holder = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
  token: number | undefined
  /** Resolves with the reason once the lease is lost for good. */
  readonly lost: Promise<string>
  private markLost!: (reason: string) => void
  private isLost = false
  private client: pg.Client | undefined
  private deadline = 0
  private stopped = true
  private renewTimer: NodeJS.Timeout | undefined
  private deadlineTimer: NodeJS.Timeout | undefined
  /** When the lease could have expired (last renewal sent + ttl): lost for good then. */
  private expiry = 0
  private expiryTimer: NodeJS.Timeout | undefined
  private connecting: Promise<pg.Client> | undefined
  private closed = false
  private readonly t: LeaseTiming

  constructor(
    private readonly target: PgTarget,
    private readonly names: PgNames,
    private readonly log: Logger,
    timing: Partial<LeaseTiming> = {},
    private readonly now: () => number = () => performance.now(),
  ) {
    this.t = { ...DEFAULT_LEASE, ...timing }
    this.lost = new Promise((resolve) => (this.markLost = resolve))
  }

  /** May this process send now? Only while its lease is certainly still its own. */
  get sending(): boolean {
    return !this.isLost && this.token !== undefined && this.now() < this.deadline
  }

  /**
   * Wait for the lease and take it. `whileWaiting` runs once, when the lease is found held by
   * another process (the standby warms its store there).
   */
  async acquire(whileWaiting?: () => Promise<void>, signal?: AbortSignal): Promise<number> {
    let waiting = false
    for (;;) {
      if (this.closed || signal?.aborted) throw new StandbyStopped()
      const sentAt = this.now()
      try {
        const c = await this.connect()
        const { rows } = await c.query<{ token: string }>(
          `UPDATE ${this.names.lease} SET holder = $1, token = token + 1, expires_at = now() + make_interval(secs => $2::double precision / 1000)
           WHERE id = 1 AND (expires_at IS NULL OR expires_at < now()) RETURNING token`,
          [this.holder, this.t.ttlMs],
        )
        if (rows[0]) {
          this.token = Number(rows[0].token)
          this.renewed(sentAt)
          this.log.info({ token: this.token, holder: this.holder }, `active: lease acquired (token ${this.token})`)
          this.scheduleRenew()
          return this.token
        }
        if (!waiting) {
          waiting = true
          const { rows: held } = await c.query<{ holder: string; left_ms: number }>(
            `SELECT holder, extract(epoch FROM expires_at - now()) * 1000 AS left_ms FROM ${this.names.lease} WHERE id = 1`,
          )
          this.log.info({ holder: held[0]?.holder, expiresInMs: Math.round(Number(held[0]?.left_ms ?? 0)) }, 'standby: waiting for the lease')
          await whileWaiting?.()
        }
      } catch (err) {
        if (!isConnectionError(err) && !isLockTimeout(err)) throw err
        this.drop()
        this.log.warn({ err: (err as Error).message }, 'lease: database unreachable; trying again')
      }
      await sleep(this.t.pollMs, signal)
    }
  }

  private renewed(sentAt: number): void {
    const wasStopped = this.stopped
    this.deadline = sentAt + this.t.ttlMs - this.t.marginMs
    this.expiry = sentAt + this.t.ttlMs
    this.stopped = false
    if (wasStopped && this.token !== undefined && this.deadlineTimer) this.log.warn({ token: this.token }, 'lease renewed: sending again')
    this.armDeadline()
    this.armExpiry()
  }

  private armExpiry(): void {
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    this.expiryTimer = setTimeout(() => this.onExpiry(), Math.max(0, this.expiry - this.now()) + 1)
    this.expiryTimer.unref()
  }

  /**
   * No renewal for the lease's whole duration: a standby may hold it now. One last renewal,
   * given the margin to get through: if it finds the token still ours, nobody took the lease
   * (a slow database, a stalled event loop) and the token fences anyone who would — keep it;
   * unreachable (a network cut, the database down) or another token: lost for good.
   */
  private onExpiry(): void {
    if (this.isLost || this.closed) return
    // as for the deadline: a timer may fire a little early by `now()`
    if (this.now() < this.expiry) return this.armExpiry()
    const expired = this.expiry
    void Promise.race([this.renew(), sleep(this.t.marginMs)]).then(() => {
      if (this.isLost || this.closed || this.expiry > expired) return
      this.lose(`the lease could not be renewed within its ${Math.round(this.t.ttlMs / 1000)} s (database unreachable?); another process may hold it now`)
    })
  }

  private armDeadline(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer)
    this.deadlineTimer = setTimeout(() => this.onDeadline(), Math.max(0, this.deadline - this.now()) + 1)
    this.deadlineTimer.unref()
  }

  private onDeadline(): void {
    if (this.isLost || this.closed) return
    // a timer's delay counts from the event loop's cached time, which lags `now()` when the
    // loop is busy, so it can fire a little before the deadline by `now()`: arm it again for
    // the rest, never drop it (sends must stop in time; seen under load as no stop at all)
    if (this.now() < this.deadline) return this.armDeadline()
    this.stopped = true
    this.log.warn({ token: this.token }, 'lease lost: stopping sends')
  }

  private scheduleRenew(): void {
    if (this.closed || this.isLost) return
    this.renewTimer = setTimeout(() => void this.renew().finally(() => this.scheduleRenew()), this.t.renewEveryMs)
    this.renewTimer.unref()
  }

  private async renew(): Promise<void> {
    const sentAt = this.now()
    try {
      const c = await this.connect()
      const { rows } = await c.query(
        `UPDATE ${this.names.lease} SET expires_at = now() + make_interval(secs => $2::double precision / 1000)
         WHERE id = 1 AND token = $1 RETURNING token`,
        [this.token, this.t.ttlMs],
      )
      if (rows.length === 1) this.renewed(sentAt)
      else this.lose('another process took the lease')
    } catch (err) {
      if (!isConnectionError(err) && !isLockTimeout(err)) this.log.error({ err }, 'lease renewal failed')
      this.drop()
      this.log.debug({ err: (err as Error).message }, 'lease renewal failed; will try again')
    }
  }

  /** The lease is gone for good (another token holds it, or the fence refused a commit). */
  lose(reason: string): void {
    if (this.isLost) return
    this.isLost = true
    if (!this.stopped) this.log.warn({ token: this.token }, 'lease lost: stopping sends')
    this.stopped = true
    this.log.error({ token: this.token, reason }, `lease lost for good: ${reason}`)
    this.markLost(reason)
  }

  /** A clean stop: give the lease up at once, so the standby need not wait for it to expire. */
  async release(): Promise<void> {
    this.closed = true
    if (this.renewTimer) clearTimeout(this.renewTimer)
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer)
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    if (this.token !== undefined && !this.isLost) {
      try {
        const c = await this.connect()
        await c.query(`UPDATE ${this.names.lease} SET holder = NULL, expires_at = now() - interval '1 second' WHERE id = 1 AND token = $1`, [this.token])
        this.log.info({ token: this.token }, 'lease released')
      } catch (err) {
        this.log.warn({ err: (err as Error).message }, 'could not release the lease; the standby takes over when it expires')
      }
    }
    await this.close()
  }

  async close(): Promise<void> {
    this.closed = true
    if (this.renewTimer) clearTimeout(this.renewTimer)
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer)
    if (this.expiryTimer) clearTimeout(this.expiryTimer)
    const c = this.client
    this.client = undefined
    if (c) await c.end().catch(() => {})
  }

  private connect(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client)
    // one connection however many renewals ask at once (the last look at expiry and a scheduled one)
    this.connecting ??= this.open().finally(() => (this.connecting = undefined))
    return this.connecting
  }

  private async open(): Promise<pg.Client> {
    // short bounds: a renewal that cannot finish quickly counts as missed, never as a hang
    const client = await connectClient(this.target, { queryTimeoutMs: 3_000, statementTimeoutMs: 3_000, lockTimeoutMs: 2_000, applicationName: 'siyu lease' }, () => {
      if (this.client === client) this.drop()
    })
    this.client = client
    return client
  }

  private drop(): void {
    const c = this.client
    this.client = undefined
    endQuietly(c)
  }
}

function isLockTimeout(err: unknown): boolean {
  const code = (err as { code?: string }).code
  return code === '55P03' || code === '57014' // lock_not_available, query_canceled (statement timeout)
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done(): void {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}

/** The standby was told to stop while it waited for the lease. */
export class StandbyStopped extends Error {
  constructor() {
    super('stopped while waiting for the lease (standby)')
    this.name = 'StandbyStopped'
  }
}
