import type { Logger } from 'pino'
import { FileAdapter } from '../store/FileAdapter.js'
import { isPostgresUrl, redactUrl } from '../store/postgres/connection.js'
import { PostgresAdapter } from '../store/PostgresAdapter.js'
import type { StorageAdapter } from '../store/StorageAdapter.js'
import { LeaseKeeper, type LeaseTiming } from './LeaseKeeper.js'

export interface OpenedStorage {
  adapter: StorageAdapter
  /** Where the data is, for logs (a URL's password masked). */
  where: string
  /** With PostgreSQL: the lease this process holds (it is the active one). */
  lease?: LeaseKeeper
  /** The engine has loaded what it needs: a standby's copy of the store can go. */
  loaded(): void
}

/**
 * Open the store the operator chose: the JSON files in the data dir (default), or
 * PostgreSQL (`--store postgres://…` / SIYU_STORE). With PostgreSQL this returns only once
 * this process holds the lease: until then it is the standby, with the store loaded and
 * followed in memory, and nothing else of the bot started (no WeChat login).
 */
export async function openStorage(o: { store?: string; dataDir: string; log: Logger; env: NodeJS.ProcessEnv; signal?: AbortSignal }): Promise<OpenedStorage> {
  const log = o.log
  if (!isPostgresUrl(o.store)) {
    const adapter = new FileAdapter(o.dataDir, { onWarning: (m) => log.warn({ dataDir: o.dataDir }, m) })
    await adapter.open()
    return { adapter, where: o.dataDir, loaded: () => {} }
  }
  const where = redactUrl(o.store)
  const adapter = new PostgresAdapter(o.store, { onWarning: (m) => log.warn({ store: where }, m) })
  await adapter.open()
  log.info({ store: where }, 'store: PostgreSQL')
  const lease = new LeaseKeeper(adapter.target, adapter.names, log.child({ part: 'lease' }), leaseTiming(o.env))
  try {
    await lease.acquire(async () => {
      const t0 = performance.now()
      await adapter.warm()
      log.info({ keys: adapter.mirrored, ms: Math.round(performance.now() - t0) }, 'standby: store loaded; following the active')
    }, o.signal)
  } catch (err) {
    await lease.close()
    await adapter.close()
    throw err
  }
  adapter.fence(lease.token!)
  adapter.onFenced = () => lease.lose('a commit was refused: another process holds the lease')
  const t0 = performance.now()
  await adapter.takeOver()
  if (adapter.mirrored > 0) log.info({ keys: adapter.mirrored, ms: Math.round(performance.now() - t0) }, 'active: caught up with the last commits')
  return { adapter, where, lease, loaded: () => adapter.dropMirror() }
}

/** `SIYU_LEASE_SECONDS` (default 10): the lease's length; renewals every fifth of it, sends stop a fifth before it ends. */
export function leaseTiming(env: NodeJS.ProcessEnv): Partial<LeaseTiming> {
  const s = Number(env.SIYU_LEASE_SECONDS)
  if (!env.SIYU_LEASE_SECONDS || !Number.isFinite(s) || s < 2 || s > 60) return {}
  const ttlMs = s * 1000
  return { ttlMs, renewEveryMs: ttlMs / 5, marginMs: ttlMs / 5, pollMs: Math.min(1_000, ttlMs / 5) }
}
