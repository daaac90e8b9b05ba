/**
 * Store scale, run in a child process per measurement so memory is its own:
 *   node --import tsx bench/storeScale.ts generate <dir> <members>
 *   node --import tsx bench/storeScale.ts measure <dir>
 * prints one JSON line.
 */
import { PointsBook } from '../src/members/PointsBook.js'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { Store } from '../src/store/Store.js'

const [mode, dir, count] = process.argv.slice(2)
const POOL = 'checkin/pool:scale/'

function checkin(book: PointsBook, id: string, day: string, yesterday: string): void {
  book.checkIn({ memberId: id, name: id, day, yesterday, now: Date.now(), points: 10, bonusForStreak: () => 0, group: 'scale', room: 'r@chatroom' })
}

if (mode === 'generate') {
  const n = Number(count)
  const adapter = new FileAdapter(dir!)
  await adapter.open()
  const store = new Store(adapter)
  const book = new PointsBook(await store.open(POOL))
  // yesterday's check-ins of every member: their rows and one ledger day
  for (let i = 0; i < n; i++) checkin(book, `wxid_member_${i}`, '2026-11-25', '2026-11-24')
  await store.close()
  console.log(JSON.stringify({ generated: n, bytes: await FileAdapter.sizeOf(dir!) }))
} else if (mode === 'measure') {
  const t0 = performance.now()
  const adapter = new FileAdapter(dir!, { checkpointMs: 3_600_000, maxJournalBytes: 1 << 30 })
  await adapter.open()
  const store = new Store(adapter)
  const book = new PointsBook(await store.open(POOL))
  const startupMs = performance.now() - t0
  const rssAfterStart = process.resourceUsage().maxRSS * 1024

  // one at a time, each confirmed (durable) before the next: the latency a lone member sees
  const single: number[] = []
  for (let i = 0; i < 200; i++) {
    const t = performance.now()
    checkin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
    await store.durable()
    single.push(performance.now() - t)
  }
  // a burst: 5,000 check-ins arriving together share group commits
  const t1 = performance.now()
  for (let i = 200; i < 5200; i++) checkin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
  await store.durable()
  const burstMsPerCheckin = (performance.now() - t1) / 5000
  // "我的积分" and "积分榜": a scan of the pool's rows
  const scans: number[] = []
  const tops: number[] = []
  for (let i = 0; i < 5; i++) {
    let t = performance.now()
    book.rank(`wxid_member_${i * 7}`)
    scans.push(performance.now() - t)
    t = performance.now()
    book.top(10)
    tops.push(performance.now() - t)
  }
  const mid = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  const sorted = [...single].sort((a, b) => a - b)
  console.log(
    JSON.stringify({
      startupMs,
      rssAfterStart,
      peakRss: process.resourceUsage().maxRSS * 1024,
      singleMsP50: sorted[Math.floor(sorted.length / 2)],
      burstMsPerCheckin,
      rankMs: mid(scans),
      topMs: mid(tops),
    }),
  )
  process.exit(0) // no checkpoint on the way out: the next round measures the same state
} else {
  console.error('usage: storeScale.ts generate <dir> <members> | measure <dir>')
  process.exit(2)
}
