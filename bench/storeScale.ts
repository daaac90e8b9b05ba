/**
 * Store scale, run in a child process per measurement so memory is its own:
 *   node --import tsx bench/storeScale.ts generate <dir> <members>
 *   node --import tsx bench/storeScale.ts measure <dir>
 * prints one JSON line.
 */
import { PointsBook } from '../src/members/PointsBook.js'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { Store } from '../src/store/Store.js'
import { measurePool, scaleCheckin, SCALE_POOL } from './poolChecks.js'

const [mode, dir, count] = process.argv.slice(2)

if (mode === 'generate') {
  const n = Number(count)
  const adapter = new FileAdapter(dir!)
  await adapter.open()
  const store = new Store(adapter)
  const book = new PointsBook(await store.open(SCALE_POOL))
  // yesterday's check-ins of every member: their rows and one ledger day
  for (let i = 0; i < n; i++) scaleCheckin(book, `wxid_member_${i}`, '2026-11-25', '2026-11-24')
  await store.close()
  console.log(JSON.stringify({ generated: n, bytes: await FileAdapter.sizeOf(dir!) }))
} else if (mode === 'measure') {
  const t0 = performance.now()
  const adapter = new FileAdapter(dir!, { checkpointMs: 3_600_000, maxJournalBytes: 1 << 30 })
  await adapter.open()
  const store = new Store(adapter)
  const startupMs = performance.now() - t0
  const rssAfterStart = process.resourceUsage().maxRSS * 1024
  const m = await measurePool(store, 5000)
  console.log(
    JSON.stringify({
      startupMs,
      rssAfterStart,
      peakRss: process.resourceUsage().maxRSS * 1024,
      singleMsP50: m.singleMsP50,
      burstMsPerCheckin: m.burstMs / 5000,
      rankMs: m.rankMs,
      topMs: m.topMs,
    }),
  )
  process.exit(0) // no checkpoint on the way out: the next round measures the same state
} else {
  console.error('usage: storeScale.ts generate <dir> <members> | measure <dir>')
  process.exit(2)
}
