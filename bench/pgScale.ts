/**
 * Store scale, file store vs PostgreSQL, in a child process per measurement so memory is its own:
 *   node --import tsx bench/pgScale.ts generate <dir | postgres://…> <members>
 *   node --import tsx bench/pgScale.ts measure <dir | postgres://…>
 *   node --import tsx bench/pgScale.ts takeover <postgres://…>
 * prints one JSON line.
 */
import pino from 'pino'
import { PointsBook } from '../src/members/PointsBook.js'
import { LeaseKeeper } from '../src/ha/LeaseKeeper.js'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { isPostgresUrl } from '../src/store/postgres/connection.js'
import { PostgresAdapter } from '../src/store/PostgresAdapter.js'
import type { StorageAdapter } from '../src/store/StorageAdapter.js'
import { Store } from '../src/store/Store.js'
import { measurePool, scaleCheckin, SCALE_POOL } from './poolChecks.js'

const [mode, where, count] = process.argv.slice(2)
const BURST = 10_000


function adapterFor(w: string): StorageAdapter {
  return isPostgresUrl(w) ? new PostgresAdapter(w) : new FileAdapter(w, { checkpointMs: 3_600_000, maxJournalBytes: 1 << 30 })
}

const rss = () => process.resourceUsage().maxRSS * 1024

if (mode === 'generate') {
  const n = Number(count)
  const adapter = adapterFor(where!)
  await adapter.open()
  const store = new Store(adapter)
  const book = new PointsBook(await store.open(SCALE_POOL))
  // yesterday's check-ins of every member (their rows and one ledger day), committed in slices
  for (let i = 0; i < n; i++) {
    scaleCheckin(book, `wxid_member_${i}`, '2026-11-25', '2026-11-24')
    if (i % 50_000 === 49_999) await store.durable()
  }
  await store.close()
  console.log(JSON.stringify({ generated: n, bytes: isPostgresUrl(where) ? 0 : await FileAdapter.sizeOf(where!) }))
} else if (mode === 'measure') {
  const t0 = performance.now()
  const adapter = adapterFor(where!)
  await adapter.open()
  const store = new Store(adapter)
  const startupMs = performance.now() - t0
  const { singleMsP50, burstMs, rankMs, topMs } = await measurePool(store, BURST)
  console.log(JSON.stringify({ startupMs, peakRss: rss(), singleMsP50, burstMs, commits: adapter.metrics.commits, rankMs, topMs }))
  process.exit(0) // no checkpoint on the way out
} else if (mode === 'takeover') {
  const log = pino({ level: 'silent' })
  // the active: holds the lease, commits
  const active = new PostgresAdapter(where!)
  await active.open()
  const leaseA = new LeaseKeeper(active.target, active.names, log)
  active.fence(await leaseA.acquire())
  const activeStore = new Store(active)
  const activeBook = new PointsBook(await activeStore.open(SCALE_POOL))
  // the standby: loads and follows
  const standby = new PostgresAdapter(where!)
  await standby.open()
  const leaseB = new LeaseKeeper(standby.target, standby.names, log)
  let warmMs = 0
  let warmed!: () => void
  const isWarm = new Promise<void>((r) => (warmed = r))
  const acquired = leaseB.acquire(async () => {
    const t = performance.now()
    await standby.warm()
    warmMs = performance.now() - t
    warmed()
  })
  await isWarm
  // the active keeps working while the standby follows: 1,000 check-ins
  for (let i = 0; i < 1_000; i++) scaleCheckin(activeBook, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
  await activeStore.durable()
  // the active dies: no more renewals, no release (as after kill -9 or a lost machine)
  const diedAt = performance.now()
  await leaseA.close()
  const token = await acquired
  const acquiredAt = performance.now()
  standby.fence(token)
  await standby.takeOver()
  const store = new Store(standby)
  const book = new PointsBook(await store.open(SCALE_POOL))
  const readyAt = performance.now()
  const caughtUp = book.get('wxid_member_999')?.lastDay === '2026-11-26'
  // cold, for comparison: a process that loads the same store from the database
  const c0 = performance.now()
  const cold = new PostgresAdapter(where!)
  await cold.open()
  await new Store(cold).open(SCALE_POOL)
  const coldMs = performance.now() - c0
  console.log(
    JSON.stringify({ warmMs, deathToLeaseMs: acquiredAt - diedAt, leaseToReadyMs: readyAt - acquiredAt, coldLoadMs: coldMs, caughtUp, peakRss: rss() }),
  )
  process.exit(0)
} else {
  console.error('usage: pgScale.ts generate <dir|url> <members> | measure <dir|url> | takeover <url>')
  process.exit(2)
}
