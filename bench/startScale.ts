/**
 * A pool of N members from a cold start, file store or PostgreSQL, in a child process per
 * measurement so memory and time are its own (bench/pgRows.ts runs it, on today's code and
 * on the baseline's: bench/baseline/worktree.ts copies this file there, so it uses only APIs
 * both versions have):
 *   node --import tsx bench/startScale.ts generate <dir | postgres://…> <members> [<dir | postgres://…>…]
 *   node --import tsx bench/startScale.ts measure <dir | postgres://…>
 *   node --import tsx bench/startScale.ts takeover <postgres://…>
 * prints one JSON line. Imports nothing heavy (no mock puppet): start-up is what is measured.
 */
import { mkdir } from 'node:fs/promises'
import { dirname } from 'node:path'
import pino from 'pino'
import { LeaseKeeper } from '../src/ha/LeaseKeeper.js'
import { PointsBook } from '../src/members/PointsBook.js'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { isPostgresUrl } from '../src/store/postgres/connection.js'
import { PostgresAdapter } from '../src/store/PostgresAdapter.js'
import type { Change, Json, StorageAdapter, StoreMetrics } from '../src/store/StorageAdapter.js'
import { Store } from '../src/store/Store.js'

const POOL = 'checkin/pool:scale/'
const BURST = 10_000
const [mode, where, count] = process.argv.slice(2)

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
const cpuMs = () => {
  const u = process.cpuUsage()
  return (u.user + u.system) / 1000
}
const rss = () => process.resourceUsage().maxRSS * 1024

function adapterFor(w: string): StorageAdapter {
  return isPostgresUrl(w) ? new PostgresAdapter(w) : new FileAdapter(w, { checkpointMs: 3_600_000, maxJournalBytes: 1 << 30 })
}

function checkin(book: PointsBook, id: string, day: string, yesterday: string): void {
  book.checkIn({ memberId: id, name: id, day, yesterday, now: Date.now(), points: 10, bonusForStreak: () => 0, group: 'scale', room: 'r@chatroom' })
}

/**
 * Open a store and its pool, then check one member in, durably: the bot could answer now. As
 * the engine does for every message, the member's record (core/members/, a 256-bucket table
 * since MemberBook) is touched in the same turn: through the plain Table API, which the
 * baseline has too.
 */
async function startAndAnswer(adapter: StorageAdapter, member: string): Promise<{ store: Store; book: PointsBook; touch: (id: string) => void }> {
  await adapter.open()
  const store = new Store(adapter)
  const records = (await store.open('core/')).child('members').table<Record<string, unknown>>('rows', 256)
  const touch = (id: string) => void records.update(id, (r) => (r ? { ...r, lastActive: Date.now() } : r))
  const book = new PointsBook(await store.open(POOL))
  touch(member)
  checkin(book, member, '2026-11-26', '2026-11-25')
  await store.durable()
  return { store, book, touch }
}

/**
 * The generator's in-memory adapter: keeps what the store commits by directory, values as
 * given (the store treats them as immutable), so the seed's rows can be handed to the real
 * adapter in bulk. The generator's only: the measurements use the real adapters.
 */
class CapturingAdapter implements StorageAdapter {
  readonly metrics: StoreMetrics = { commits: 0, fileWrites: 0 }
  readonly docs = new Map<string, Map<string, Json>>()
  async open(): Promise<void> {}
  async read(): Promise<Json | undefined> {
    return undefined
  }
  async entries(): Promise<Array<[string, Json]>> {
    return []
  }
  async commit(changes: readonly Change[]): Promise<void> {
    for (const { key, value } of changes) {
      const cut = key.lastIndexOf('/')
      const dir = key.slice(0, cut)
      let rows = this.docs.get(dir)
      if (!rows) this.docs.set(dir, (rows = new Map()))
      if (value === undefined) rows.delete(key.slice(cut + 1))
      else rows.set(key.slice(cut + 1), value)
    }
  }
  async close(): Promise<void> {}
}

if (mode === 'generate') {
  // Today's code only (the baseline only reads what this writes). The rows are made by the real
  // code (PointsBook, MemberBook) on a store that keeps them in memory, then handed to the real
  // adapter in bulk: a directory at a time, a few big commits, one checkpoint (the file store)
  // or a few multi-row INSERTs (PostgreSQL) — rather than a durable commit per 50,000 members
  // through every layer, which took 6 minutes for 100,000 members under load.
  const n = Number(count)
  const t0 = performance.now()
  const captured = new CapturingAdapter()
  const store = new Store(captured)
  const book = new PointsBook(await store.open(POOL))
  // the member records as the engine keeps them, a join and a message each (MemberBook, core/members/)
  const { MemberBook } = await import('../src/members/MemberBook.js')
  const { ZonedTime } = await import('../src/time/ZonedTime.js')
  const zoned = new ZonedTime('Asia/Shanghai')
  const day = Date.parse('2026-11-25T12:00:00+08:00')
  const records = new MemberBook((await store.open('core/')).child('members'), { time: () => zoned, retainDays: () => 90, now: () => day })
  // yesterday's check-ins of every member (their rows and one ledger day)
  for (let i = 0; i < n; i++) {
    const id = `wxid_member_${i}`
    const room = { id: `room${i % 2000}@chatroom`, topic: `粉丝${i % 2000}群` }
    const member = { id, name: `会员${i}` }
    records.noteJoin('scale', room, member, { now: day - 86_400_000 })
    records.noteMessage('scale', room, member, day)
    checkin(book, id, '2026-11-25', '2026-11-24')
    if (i % 50_000 === 49_999) await store.durable()
  }
  await store.close()
  const madeMs = performance.now() - t0
  // the same seed into every target given (the file store's folder and a PostgreSQL database)
  const targets = [where!, ...process.argv.slice(5)]
  const written: Record<string, number> = {}
  let bytes = 0
  for (const target of targets) {
    const t = performance.now()
    if (!isPostgresUrl(target)) {
      // (imported here: the baseline's tree, which runs this file's measurements, has no Documents.ts)
      const { docText } = await import('../src/store/Documents.js')
      const { writeFileDurably } = await import('../src/store/durableFile.js')
      const { FileNames } = await import('../src/store/fileNames.js')
      // the file store: each document written as its checkpoint writes it, then opened once,
      // which checks every big file whole and trusts it from then on (.verified.json)
      const names = new FileNames(target)
      for (const [dir, rows] of captured.docs) {
        const file = names.fileOf(dir)
        await mkdir(dirname(file), { recursive: true })
        await names.save()
        await writeFileDurably(file, docText(rows))
      }
      const adapter = new FileAdapter(target)
      await adapter.open()
      await adapter.close()
      bytes = await FileAdapter.sizeOf(target)
      written.fileMs = performance.now() - t
      continue
    }
    const adapter = new PostgresAdapter(target, { chunkRows: 20_000 })
    await adapter.open()
    let batch: Change[] = []
    for (const [dir, rows] of captured.docs) {
      for (const [leaf, value] of rows) {
        batch.push({ key: `${dir}/${leaf}`, value })
        if (batch.length === 50_000) {
          await adapter.commit(batch)
          batch = []
        }
      }
    }
    if (batch.length > 0) await adapter.commit(batch)
    await adapter.close()
    written.postgresMs = performance.now() - t
  }
  console.log(JSON.stringify({ generated: n, bytes, madeMs, ...written }))
} else if (mode === 'measure') {
  const t0 = performance.now()
  const c0 = cpuMs()
  const { store, book, touch } = await startAndAnswer(adapterFor(where!), 'wxid_member_42')
  const startMs = performance.now() - t0
  const startCpuMs = cpuMs() - c0
  const rssAtAnswer = rss()
  // the first 积分榜 right after the start: builds the rank order when nothing did yet
  let t = performance.now()
  book.top(10)
  const firstTopMs = performance.now() - t
  // today's code builds the rank order in the background after a start (the engine starts it):
  // durable check-ins meanwhile, each timed, until it is built; the baseline has no such build
  let buildMs = 0
  let checkinsDuringBuild = 0
  let slowestCheckinDuringBuildMs = 0
  const warm = (book as { warmRanks?: () => Promise<void> }).warmRanks
  if (warm) {
    let built = false
    const b0 = performance.now()
    const building = warm.call(book).then(() => {
      built = true
      buildMs = performance.now() - b0
    })
    for (let i = 0; !built; i++) {
      t = performance.now()
      touch(`wxid_member_${500_000 + i}`)
      checkin(book, `wxid_member_${500_000 + i}`, '2026-11-26', '2026-11-25')
      await store.durable()
      slowestCheckinDuringBuildMs = Math.max(slowestCheckinDuringBuildMs, performance.now() - t)
      checkinsDuringBuild++
    }
    await building
  }
  const single: number[] = []
  for (let i = 0; i < 200; i++) {
    t = performance.now()
    touch(`wxid_member_${i}`)
    checkin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
    await store.durable()
    single.push(performance.now() - t)
  }
  t = performance.now()
  for (let i = 200; i < 200 + BURST; i++) {
    touch(`wxid_member_${i}`)
    checkin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
  }
  await store.durable()
  const burstMs = performance.now() - t
  const ranks: number[] = []
  const tops: number[] = []
  for (let i = 0; i < 7; i++) {
    t = performance.now()
    book.rank(`wxid_member_${i * 7919}`)
    ranks.push(performance.now() - t)
    t = performance.now()
    book.top(10)
    tops.push(performance.now() - t)
  }
  console.log(
    JSON.stringify({
      startMs,
      startCpuMs,
      rssAtAnswer,
      firstTopMs,
      buildMs,
      checkinsDuringBuild,
      slowestCheckinDuringBuildMs,
      singleMsP50: median(single),
      burstMs,
      rankMs: median(ranks),
      topMs: median(tops),
      peakRss: rss(),
    }),
  )
  process.exit(0) // no checkpoint on the way out: the next round measures the same state
} else if (mode === 'takeover') {
  const log = pino({ level: 'silent' })
  // the active: holds the lease, commits
  const active = new PostgresAdapter(where!)
  await active.open()
  const leaseA = new LeaseKeeper(active.target, active.names, log)
  active.fence(await leaseA.acquire())
  const activeStore = new Store(active)
  const activeBook = new PointsBook(await activeStore.open(POOL))
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
  for (let i = 0; i < 1_000; i++) checkin(activeBook, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
  await activeStore.durable()
  // the active dies: no more renewals, no release (as after kill -9 or a lost machine)
  const diedAt = performance.now()
  await leaseA.close()
  const token = await acquired
  const acquiredAt = performance.now()
  standby.fence(token)
  await standby.takeOver()
  const store = new Store(standby)
  await store.open('core/')
  const book = new PointsBook(await store.open(POOL))
  checkin(book, 'wxid_member_after', '2026-11-26', '2026-11-25')
  await store.durable()
  const answeredAt = performance.now()
  standby.dropMirror()
  const caughtUp = book.get('wxid_member_999')?.lastDay === '2026-11-26'
  console.log(
    JSON.stringify({ warmMs, deathToLeaseMs: acquiredAt - diedAt, leaseToAnswerMs: answeredAt - acquiredAt, deathToAnswerMs: answeredAt - diedAt, caughtUp, peakRss: rss() }),
  )
  process.exit(0)
} else {
  console.error('usage: startScale.ts generate <dir|url> <members> [<dir|url>…] | measure <dir|url> | takeover <url>')
  process.exit(2)
}
