import { parse } from 'csv-parse/sync'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemberListDesk } from '../../../src/console/MemberListDesk.js'
import { MemberCsvQuery } from '../../../src/console/memberSchemas.js'
import { forgetMember } from '../../../src/engine/members/forget.js'
import { pointsBook } from '../../../src/engine/SkillContext.js'
import type { Member, RoomRef } from '../../../src/engine/Skill.js'
import { describeMember, firstInOrder, pageOf, type MemberFilter, type MemberListDeps } from '../../../src/members/memberList.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { harness, type Harness } from '../../helpers/harness.js'
import { harnessDeps } from '../../helpers/harnessConsole.js'
import { scanDescribe, scanMembers } from '../../helpers/memberListScan.js'
import { prng } from '../../helpers/prng.js'

const DAY = 86_400_000

// three groups: a and c share a pool, b has its own
const YAML = `
bot:
  timezone: Asia/Shanghai
  privacy: { retainDays: 20 }
groups:
  - name: a
    match: { topic: "A*" }
    skills: { checkin: { pool: shared } }
  - name: b
    match: { topic: "B*" }
    skills: { checkin: {} }
  - name: c
    match: { topic: "C*" }
    skills: { checkin: { pool: shared } }
`


const TAGS = ['VIP', '老粉', '__proto__', 'constructor']
const NAMES = ['张三', '李四', 'Wang', '王五', 'Zhao Liu', '赵六', '小明', 'Ming']

function listDeps(h: Harness): MemberListDeps {
  return {
    book: h.engine.members,
    tags: h.engine.tags,
    points: (pool) => pointsBook(h.store, pool),
    pools: () => [...new Set(h.engine.currentConfig.groups.map((g) => h.engine.pointsPool(g.name)))],
    poolOf: (group) => h.engine.pointsPool(group),
    now: h.clock.now(),
  }
}

/**
 * The member list from the in-memory indexes (MemberIndex, PoolTotals, TagIndex) answers as
 * the scan of every row did (tests/helpers/memberListScan.ts), through random joins, leaves,
 * renames, messages, points, tags, forgets, retention sweeps, writes straight into the tables
 * and reloads of the store, for random filters, sorts and pages.
 */
describe('the member list from its indexes equals a scan of every row', () => {
  it('after every kind of change, for random filters, sorts and pages', async () => {
    const rnd = prng(2026)
    const pick = <T,>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
    const clock = new FakeClock(Date.UTC(2026, 11, 20, 2))
    const adapter = new MemoryAdapter()
    let h = await harness(YAML, { clock, adapter })
    const rooms: Array<{ ref: RoomRef; group: string }> = [
      { ref: { id: 'a1@chatroom', topic: 'A1' }, group: 'a' },
      { ref: { id: 'a2@chatroom', topic: 'A2' }, group: 'a' },
      { ref: { id: 'b1@chatroom', topic: 'B1' }, group: 'b' },
      { ref: { id: 'c1@chatroom', topic: 'C1' }, group: 'c' },
    ]
    const ids = Array.from({ length: 40 }, (_, i) => `wxid_${i % 3 === 0 ? 'Up' : 'lo'}${i}`)
    const member = (id: string): Member => ({ id, name: `${pick(NAMES)}${id.slice(-2)}` })
    let checks = 0
    let nonEmpty = 0

    const randomFilter = (): { f: MemberFilter; start: number; size: number } => {
      const f: MemberFilter = {}
      if (rnd() < 0.5) f.group = pick(['a', 'b', 'c'])
      if (rnd() < 0.4) f.status = pick(['in', 'left'] as const)
      if (rnd() < 0.3) f.q = pick(['张', 'wang', 'UP', 'lo1', 'ming ', '六', 'zz'])
      if (rnd() < 0.3) {
        f.tags = [pick(TAGS), ...(rnd() < 0.5 ? [pick(TAGS)] : [])]
        f.tagMode = pick(['any', 'all', 'none'] as const)
      }
      if (rnd() < 0.2) f.pointsMin = Math.floor(rnd() * 30)
      if (rnd() < 0.2) f.pointsMax = 20 + Math.floor(rnd() * 40)
      if (rnd() < 0.15) f.pool = pick(['shared', 'b'])
      if (rnd() < 0.3) f.silentDays = pick([0, 1, 3, 7])
      if (rnd() < 0.2) f.joinedFrom = clock.now() - Math.floor(rnd() * 10) * DAY
      if (rnd() < 0.15) f.joinedTo = clock.now() - Math.floor(rnd() * 5) * DAY
      if (rnd() < 0.15) f.via = pick(['进群', ...ids.slice(0, 5)])
      if (rnd() < 0.8) f.sort = pick(['points', 'lastActive', 'joined', 'name'] as const)
      if (rnd() < 0.5) f.order = pick(['asc', 'desc'] as const)
      const size = pick([1, 3, 5, 50])
      return { f, start: Math.floor(rnd() * 4) * size, size }
    }

    const compare = (n: number) => {
      const d = listDeps(h)
      for (let i = 0; i < n; i++) {
        const { f, start, size } = randomFilter()
        const scan = scanMembers(d, f)
        const page = pageOf(d, f, start, size)
        expect(page.total, JSON.stringify(f)).toBe(scan.length)
        const want = scan.slice(start, start + size)
        expect(page.items.map((m) => m.id), JSON.stringify({ f, start, size })).toEqual(want.map((m) => m.id))
        expect(page.items.map((m) => describeMember(d, f, m.id, m.row))).toEqual(want.map((m) => scanDescribe(d, f, m.id, m.row)))
        checks++
        if (want.length > 0) nonEmpty++
      }
    }

    for (let step = 0; step < 700; step++) {
      const r = rnd()
      const id = pick(ids)
      const room = pick(rooms)
      const now = clock.now()
      const day = h.engine.time.dayKey(now)
      if (r < 0.2) {
        if (rnd() < 0.2) h.engine.members.expectJoin(id, room.group, '进群')
        h.engine.recordMembers({ room: room.ref, members: [member(id)], memberCount: 50, ...(rnd() < 0.3 ? { by: pick(ids) } : {}) }, 'join')
      } else if (r < 0.3) h.engine.recordMembers({ room: room.ref, members: [member(id)], memberCount: 50 }, 'leave')
      else if (r < 0.45) h.engine.members.noteMessage(room.group, room.ref, member(id), now)
      else if (r < 0.5) h.engine.members.noteNames({ id, name: `${pick(NAMES)}改${step}`, alias: rnd() < 0.5 ? `群名${step}` : undefined }, now)
      else if (r < 0.62) {
        const pool = pick(['shared', 'b'])
        h.engine.points(pool).change(id, Math.floor(rnd() * 40) - 15, 'adjust', { now, day, group: room.group })
      } else if (r < 0.65) {
        // a row written straight into the pool's table, not through PointsBook
        pointsBook(h.store, pick(['shared', 'b'])).members.set(id, { name: id, total: Math.floor(rnd() * 50), streak: 0, lastDay: null, reachedAt: now, checkins: 0 })
      } else if (r < 0.75) h.engine.tags.add(id, pick(TAGS), { source: 'admin', at: now })
      else if (r < 0.82) h.engine.tags.remove(id, pick(TAGS))
      else if (r < 0.84) h.engine.tags.rows.delete(id)
      else if (r < 0.87) {
        forgetMember(h.engine, h.store, id)
        // and back again, with nothing of before (no points, no tags, a new record)
        if (rnd() < 0.5) h.engine.recordMembers({ room: room.ref, members: [member(id)], memberCount: 50 }, 'join')
      }
      else if (r < 0.92) await clock.advance(Math.floor(rnd() * 3 * DAY))
      else if (r < 0.95) h.engine.members.sweep(clock.now())
      else if (r < 0.96) {
        // a reload: a new engine and store over what was stored; its indexes are built anew
        await h.flush()
        h.engine.stop()
        h = await harness(YAML, { clock, adapter })
      }
      if (step % 7 === 0) compare(4)
    }
    await h.flush()
    compare(40)
    // the run is not vacuous: most comparisons had members on the page
    expect(checks).toBeGreaterThan(400)
    expect(nonEmpty / checks).toBeGreaterThan(0.3)
    expect(h.engine.members.listIndex().size).toBeGreaterThan(10)

    // the CSV, every match of a filter, in the scan's order with the scan's points and tags
    const desk = new MemberListDesk(harnessDeps(h))
    const d = listDeps(h)
    for (const query of [{}, { group: 'a', sort: 'points' as const }, { tags: 'VIP', sort: 'name' as const, order: 'asc' as const }]) {
      const parsed = MemberCsvQuery.parse(query)
      let text = ''
      for await (const chunk of desk.csv(parsed)) text += (chunk as Buffer).toString('utf8')
      expect(text.charCodeAt(0)).toBe(0xfeff)
      const rows = parse(text.slice(1), { columns: true }) as Array<Record<string, string>>
      const f: MemberFilter = { group: parsed.group, tags: parsed.tags?.split(','), sort: parsed.sort, order: parsed.order }
      const scan = scanMembers(d, f)
      expect(rows.map((r) => r.id)).toEqual(scan.map((m) => m.id))
      expect(rows.map((r) => [r.points, r.tags, r.names])).toEqual(scan.map((m) => scanDescribe(d, f, m.id, m.row)).map((i) => [String(i.points), i.tags.join(' '), i.names.join(' / ')]))
    }
    h.engine.stop()
  }, 60_000)

  it('picks the first k in order as a full sort would, ties included', () => {
    const rnd = prng(9)
    for (let round = 0; round < 200; round++) {
      const n = Math.floor(rnd() * 300)
      const keys = Array.from({ length: n }, () => Math.floor(rnd() * 20))
      const before = (a: number, b: number) => keys[a]! - keys[b]! || a - b
      const k = Math.floor(rnd() * (n + 2))
      const sorted = Array.from({ length: n }, (_, i) => i).sort(before)
      expect(firstInOrder(n, Math.min(k, n), before)).toEqual(sorted.slice(0, k))
    }
  })
})
