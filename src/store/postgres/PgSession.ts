import type pg from 'pg'
import { connectClient, endQuietly, isConnectionError, type ClientTuning, type PgTarget } from './connection.js'

export interface PgSessionOptions extends ClientTuning {
  /** Told once when the database becomes unreachable, and once when it is back. */
  onWarning?: (message: string) => void
  /** Wait before the next try: 0.5 s, doubled up to this (default 5 s). */
  maxBackoffMs?: number
}

/**
 * One connection used for one thing at a time, in call order, and opened again after the
 * database went away. `run` with `retry` keeps trying work that failed for want of a
 * connection (the database restarting, the network cut) until it succeeds or the session is
 * closed: a commit then waits, rather than failing what it would confirm.
 *
 * Hand-written: pg.Pool hands out several connections (no order between them) and does not
 * retry; this is the ordering and the retry, around one pg.Client.
 */
export class PgSession {
  private client: pg.Client | undefined
  private chain: Promise<unknown> = Promise.resolve()
  private closed = false
  private down = false
  private wake: (() => void) | undefined

  constructor(
    private readonly target: PgTarget,
    private readonly options: PgSessionOptions = {},
  ) {}

  /** Queue `work` behind everything queued before it. */
  run<T>(work: (client: pg.Client) => Promise<T>, opts: { retry?: boolean } = {}): Promise<T> {
    const next = this.chain.then(() => this.attempt(work, opts.retry ?? false))
    this.chain = next.catch(() => {})
    return next
  }

  private async attempt<T>(work: (client: pg.Client) => Promise<T>, retry: boolean): Promise<T> {
    let backoff = 500
    for (;;) {
      if (this.closed) throw new Error('the PostgreSQL store is closed')
      try {
        const client = await this.connect()
        const out = await work(client)
        if (this.down) {
          this.down = false
          this.options.onWarning?.('database reachable again')
        }
        return out
      } catch (err) {
        if (!isConnectionError(err)) throw err
        this.drop()
        if (!this.down) {
          this.down = true
          this.options.onWarning?.(`database unreachable (${(err as Error).message}); held work is retried until it is back`)
        }
        if (!retry) throw err
        await new Promise<void>((resolve) => {
          const t = setTimeout(resolve, backoff)
          this.wake = () => {
            clearTimeout(t)
            resolve()
          }
        })
        this.wake = undefined
        backoff = Math.min(backoff * 2, this.options.maxBackoffMs ?? 5_000)
      }
    }
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client
    const client = await connectClient(this.target, this.options, () => {
      // the connection broke between queries: the next use connects again
      if (this.client === client) this.drop()
    })
    if (this.closed) {
      await client.end().catch(() => {})
      throw new Error('the PostgreSQL store is closed')
    }
    this.client = client
    return client
  }

  private drop(): void {
    const c = this.client
    this.client = undefined
    endQuietly(c)
  }

  /** Wait for queued work (bounded), then close the connection; retrying work gives up. */
  async close(graceMs = 5_000): Promise<void> {
    const idle = this.chain.then(() => 'idle' as const)
    const late = new Promise<'late'>((r) => setTimeout(() => r('late'), graceMs).unref())
    const r = await Promise.race([idle, late])
    this.closed = true
    this.wake?.()
    if (r === 'late') await Promise.race([this.chain, new Promise((res) => setTimeout(res, 1_000).unref())])
    const c = this.client
    this.client = undefined
    if (c) await c.end().catch(() => {})
  }
}
