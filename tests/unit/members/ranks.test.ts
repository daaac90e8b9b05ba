import { describe, expect, it } from 'vitest'
import { PointsBook, type MemberPoints } from '../../../src/members/PointsBook.js'
import { HEAD_KEPT, PoolRanks } from '../../../src/members/PoolRanks.js'
import { compare, RankOrder, type Ranked } from '../../../src/members/RankOrder.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import type { Json } from '../../../src/store/StorageAdapter.js'
import { bucketOf, Store } from '../../../src/store/Store.js'
import { prng } from '../../helpers/prng.js'


/** Rank as the scan before the order did it: everyone ahead, plus one. */
function scanRank(rows: Map<string, MemberPoints>, id: string): number {
  const me = rows.get(id)!
  let ahead = 0
  for (const [other, r] of rows) {
    if (other !== id && compare({ id: other, total: r.total, reachedAt: r.reachedAt }, { id, total: me.total, reachedAt: me.reachedAt }) < 0) ahead++
  }
  return ahead + 1
}

function scanTop(rows: Map<string, MemberPoints>, n: number): string[] {
  return [...rows]
    .filter(([, r]) => r.total > 0)
    .sort(([a, ra], [b, rb]) => compare({ id: a, ...ra }, { id: b, ...rb }))
    .slice(0, n)
    .map(([id]) => id)
}

describe('RankOrder', () => {
  it('keeps positions right through inserts and removals across block splits and merges', () => {
    const rnd = prng(7)
    const order = new RankOrder()
    const live = new Map<string, Ranked>()
    for (let step = 0; step < 6000; step++) {
      const id = `m${Math.floor(rnd() * 3000)}`
      const old = live.get(id)
      if (old) {
        expect(order.remove(old)).toBe(true)
        live.delete(id)
      }
      if (!old || rnd() < 0.7) {
        // few distinct totals and times: long runs of ties, decided by time then id
        const e = { id, total: Math.floor(rnd() * 5) * 10, reachedAt: Math.floor(rnd() * 3) }
        order.insert(e)
        live.set(id, e)
      }
    }
    const sorted = [...live.values()].sort(compare)
    expect(order.size).toBe(sorted.length)
    expect(order.first(sorted.length).map((e) => e.id)).toEqual(sorted.map((e) => e.id))
    for (let i = 0; i < sorted.length; i += 37) expect(order.position(sorted[i]!)).toBe(i)
    expect(order.remove({ id: 'nobody', total: 10, reachedAt: 0 })).toBe(false)
    expect(order.position({ id: 'nobody', total: 10, reachedAt: 0 })).toBeUndefined()
  })

  it('merges blocks that thin out, and keeps positions right', () => {
    const entries = Array.from({ length: 4000 }, (_, i) => ({ id: `m${String(i).padStart(4, '0')}`, total: 10, reachedAt: 0 }))
    const order = RankOrder.from([...entries])
    const kept = entries.filter((_, i) => i % 50 === 0 || i >= 3000)
    for (const e of entries) if (!kept.includes(e)) expect(order.remove(e)).toBe(true)
    expect(order.first(kept.length).map((e) => e.id)).toEqual(kept.map((e) => e.id))
    kept.forEach((e, i) => expect(order.position(e)).toBe(i))
  })

  it('bulk-loaded from sorted entries (append), then changed at random, it ranks as a sort of the live entries does', () => {
    const rnd = prng(5)
    const live = new Map<string, Ranked>()
    for (let i = 0; i < 5000; i++) live.set(`m${i}`, { id: `m${i}`, total: Math.floor(rnd() * 6) * 10, reachedAt: Math.floor(rnd() * 4) })
    const order = new RankOrder()
    for (const e of [...live.values()].sort(compare)) order.append(e)
    expect(() => order.append({ id: 'm0', total: 1_000, reachedAt: 0 })).toThrow(/not after the last entry/)
    for (let step = 0; step < 3000; step++) {
      const id = `m${Math.floor(rnd() * 6000)}`
      const old = live.get(id)
      if (old) {
        expect(order.remove(old)).toBe(true)
        live.delete(id)
      }
      if (!old || rnd() < 0.6) {
        const e = { id, total: Math.floor(rnd() * 6) * 10, reachedAt: Math.floor(rnd() * 4) }
        order.insert(e)
        live.set(id, e)
      }
    }
    const sorted = [...live.values()].sort(compare)
    expect(order.size).toBe(sorted.length)
    expect([...order.entries()].map((e) => e.id)).toEqual(sorted.map((e) => e.id))
    for (let i = 0; i < sorted.length; i += 13) expect(order.position(sorted[i]!)).toBe(i)
  })

  it('builds from unsorted entries as inserting them one by one would', () => {
    const rnd = prng(3)
    const entries = Array.from({ length: 2500 }, (_, i) => ({ id: `m${i}`, total: Math.floor(rnd() * 4) * 10, reachedAt: Math.floor(rnd() * 4) }))
    const one = new RankOrder()
    for (const e of entries) one.insert(e)
    const bulk = RankOrder.from([...entries])
    expect(bulk.first(2500)).toEqual(one.first(2500))
  })
})

describe('PointsBook ranks from the kept order', () => {
  async function pool() {
    const store = new Store(new MemoryAdapter())
    const book = new PointsBook(await store.open('checkin/pool:p/'))
    return { store, book }
  }

  it('answer as a scan of every row would, through check-ins, adjustments and debits', async () => {
    const { book } = await pool()
    const rnd = prng(11)
    const rows = new Map<string, MemberPoints>()
    for (let step = 0; step < 1500; step++) {
      const id = `wxid_${Math.floor(rnd() * 400)}`
      const now = 1_000 + Math.floor(step / 50) // many changes share a moment: ties by time, then id
      const r = rnd()
      if (r < 0.5) {
        const day = `2026-11-${String(1 + Math.floor(step / 100)).padStart(2, '0')}`
        book.checkIn({ memberId: id, name: id, day, yesterday: 'x', now, points: 10, bonusForStreak: () => 0, group: 'g', room: 'r' })
      } else if (r < 0.8) book.adjust(id, Math.floor(rnd() * 30) - 5, 'adjust', { now, day: 'd', group: 'g' })
      else book.change(id, -Math.floor(rnd() * 40), 'redeem', { now, day: 'd', group: 'g' })
      const row = book.get(id)
      if (row) rows.set(id, row) // a debit beyond a new member's balance writes nothing
      if (step % 100 === 99) {
        for (const m of [...rows.keys()].slice(0, 40)) expect(book.rank(m)).toBe(scanRank(rows, m))
        expect(book.top(10).map((t) => t.id)).toEqual(scanTop(rows, 10))
      }
    }
    expect(book.top(50).map((t) => t.rank)).toEqual(scanTop(rows, 50).map((_, i) => i + 1))
    expect(book.rank('wxid_nobody')).toBeUndefined()
  })

  it('built in the background bucket by bucket, it still sees the changes made while it was building', async () => {
    const { store, book } = await pool()
    for (let i = 0; i < 600; i++) book.adjust(`wxid_${i}`, 10 + (i % 7) * 10, 'adjust', { now: i, day: 'd', group: 'g' })
    await store.durable()
    // a second store over the same data: its order is not built yet
    const again = new Store(store.adapter)
    const fresh = new PointsBook(await again.open('checkin/pool:p/'))
    const warming = fresh.warmRanks()
    // changes while it builds: some in buckets scanned already, some in buckets still waiting
    for (let turn = 0; turn < 40; turn++) {
      const id = `wxid_${(turn * 37) % 600}`
      fresh.adjust(id, 100 + turn, 'adjust', { now: 10_000 + turn, day: 'd', group: 'g' })
      fresh.adjust(`wxid_new_${turn}`, 5, 'adjust', { now: 10_000 + turn, day: 'd', group: 'g' })
      await new Promise<void>((r) => setImmediate(r))
    }
    await warming
    const rows = new Map<string, MemberPoints>(fresh.members.rows())
    for (const id of rows.keys()) expect(fresh.rank(id)).toBe(scanRank(rows, id))
    expect(fresh.top(10).map((t) => t.id)).toEqual(scanTop(rows, 10))
  })

  it('rows changed many times between two questions (a member earning point after point) are placed where they end', async () => {
    const { book } = await pool()
    const rnd = prng(5)
    const rows = () => new Map<string, MemberPoints>(book.members.rows())
    for (let i = 0; i < 300; i++) book.adjust(`wxid_${i}`, 10 + (i % 5), 'adjust', { now: i, day: 'd', group: 'g' })
    expect(book.top(3).map((t) => t.id)).toEqual(scanTop(rows(), 3)) // the order is built
    for (let round = 0; round < 5; round++) {
      // between two questions: runs of changes to the same few members, deletions, a return
      for (let step = 0; step < 400; step++) {
        const id = `wxid_${Math.floor(rnd() * 40)}`
        const r = rnd()
        if (r < 0.7) book.change(id, 1, 'activity', { now: 1_000 + round * 1_000 + step, day: 'd', group: 'g' })
        else if (r < 0.8) book.members.delete(id)
        else book.change(id, -Math.floor(rnd() * 5), 'redeem', { now: 1_000 + round * 1_000 + step, day: 'd', group: 'g' })
      }
      const now = rows()
      for (const id of now.keys()) expect(book.rank(id)).toBe(scanRank(now, id))
      expect(book.top(20).map((t) => t.id)).toEqual(scanTop(now, 20))
      expect(book.rank('wxid_39') === undefined).toBe(!now.has('wxid_39'))
    }
  })

  it('a row written straight into the members table (not through PointsBook) moves in the order too', async () => {
    const { book } = await pool()
    book.adjust('a', 10, 'adjust', { now: 1, day: 'd', group: 'g' })
    book.adjust('b', 20, 'adjust', { now: 2, day: 'd', group: 'g' })
    expect(book.top(2).map((t) => t.id)).toEqual(['b', 'a'])
    book.members.set('a', { ...book.get('a')!, total: 30 })
    expect(book.top(2).map((t) => t.id)).toEqual(['a', 'b'])
    book.members.delete('b')
    expect(book.top(2).map((t) => t.id)).toEqual(['a'])
    expect(book.rank('a')).toBe(1)
  })
})

describe('the first members a pool keeps (ranks/head): 积分榜 right after a start, before the order is built', () => {
  async function started(adapter: MemoryAdapter) {
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:p/'))
    return { store, book, ranks: PoolRanks.of(book.members) }
  }

  it('answers the top and the ranks of the kept members from the head, exactly, through changes, without building the order', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    const rnd = prng(21)
    for (let i = 0; i < 3000; i++) first.book.adjust(`wxid_${i}`, 10 + Math.floor(rnd() * 40) * 10, 'adjust', { now: Math.floor(i / 7), day: 'd', group: 'g' })
    await first.store.durable()
    // the restart: a new store over the same data
    const { store, book, ranks } = await started(adapter)
    const rows = () => new Map<string, MemberPoints>(book.members.rows())
    expect(book.top(10).map((t) => t.id)).toEqual(scanTop(rows(), 10))
    expect(ranks.built).toBe(false)
    for (const t of book.top(HEAD_KEPT)) expect(book.rank(t.id)).toBe(t.rank)
    expect(ranks.built).toBe(false)
    // changes while the order is not built: members move into the head, out of it, inside it
    for (let step = 0; step < 400; step++) {
      // often one of the kept: they move out of the head and leave it shorter
      const kept = ranks.kept()!.rows
      const id = rnd() < 0.3 && kept.length > 0 ? kept[Math.floor(rnd() * kept.length)]!.entry.id : `wxid_${Math.floor(rnd() * 3000)}`
      const r = rnd()
      if (r < 0.4) book.adjust(id, Math.floor(rnd() * 200), 'adjust', { now: 1_000 + step, day: 'd', group: 'g' })
      else if (r < 0.8) book.change(id, -Math.floor(rnd() * 300), 'redeem', { now: 1_000 + step, day: 'd', group: 'g' })
      else book.members.set(id, { ...book.get(id)!, name: `renamed ${step}` })
      if (step % 10 !== 9) continue
      const now = rows()
      // always an exact head of the order: the first members, as a sort of every row has them
      const head = ranks.kept()!.rows.map((r) => r.entry.id)
      const all = [...now].map(([id, r]) => ({ id, total: r.total, reachedAt: r.reachedAt })).sort(compare)
      expect(head).toEqual(all.slice(0, head.length).map((e) => e.id))
      const answer = book.top(10)
      if (answer) expect(answer.map((t) => [t.id, t.row.name, t.row.total])).toEqual(scanTop(now, 10).map((id) => [id, now.get(id)!.name, now.get(id)!.total]))
    }
    expect(ranks.built).toBe(false)
    await store.durable()
    // kept in the same commits as the rows: the next start has it right too
    const next = await started(adapter)
    expect(next.book.top(10).map((t) => t.id)).toEqual(scanTop(rows(), 10))
    expect(next.ranks.built).toBe(false)
    await next.book.warmRanks()
    expect(next.book.top(10).map((t) => t.id)).toEqual(scanTop(rows(), 10))
  })

  it('rankSoon: a member outside the kept head waits for the background build instead of building the order in the same turn', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    for (let i = 0; i < 3000; i++) first.book.adjust(`wxid_${i}`, 10 + (i % 97) * 3, 'adjust', { now: i, day: 'd', group: 'g' })
    await first.store.durable()
    const { book, ranks } = await started(adapter)
    const rows = new Map<string, MemberPoints>(book.members.rows())
    // one of the head: answered at once, nothing built
    const headId = ranks.kept()!.rows[0]!.entry.id
    expect(await book.rankSoon(headId)).toBe(1)
    expect(ranks.built).toBe(false)
    // one far down: the answer waits; the order is not built synchronously by the question
    const far = scanTop(rows, 3000)[2500]!
    const answer = book.rankSoon(far)
    expect(ranks.built).toBe(false)
    expect(await answer).toBe(scanRank(rows, far))
    expect(ranks.built).toBe(true)
  })

  it('a head that is not the order (data edited by hand or by an older siyu) is written again once the order is built', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    for (let i = 0; i < 200; i++) first.book.adjust(`wxid_${i}`, 10 + i, 'adjust', { now: i, day: 'd', group: 'g' })
    await first.store.durable()
    // an older siyu changed the top member's points without keeping the head
    const row = first.book.get('wxid_199')!
    await adapter.commit([{ key: `checkin/pool:p/members/${bucketOf('wxid_199', first.book.members.buckets)}/wxid_199`, value: { ...row, total: 1 } }])
    const { store, book, ranks } = await started(adapter)
    await book.warmRanks()
    expect(ranks.built).toBe(true)
    const expected = scanTop(new Map(book.members.rows()), HEAD_KEPT)
    expect(book.top(HEAD_KEPT).map((t) => t.id)).toEqual(expected)
    await store.durable()
    const kept = (await adapter.read('checkin/pool:p/ranks/head')) as { rows: Array<[string, MemberPoints]> }
    expect(kept.rows.map(([id]) => id)).toEqual(expected)
    expect(kept.rows.map(([id]) => id)).not.toContain('wxid_199')
  })

  it('a damaged head is not used: the order is built instead', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    for (let i = 0; i < 100; i++) first.book.adjust(`wxid_${i}`, 10 + i, 'adjust', { now: i, day: 'd', group: 'g' })
    await first.store.durable()
    await adapter.commit([{ key: 'checkin/pool:p/ranks/head', value: { v: 1, all: false, rows: [['wxid_1', { total: 5 }], ['wxid_0', { total: 9 }]] } }])
    const { book, ranks } = await started(adapter)
    expect(ranks.kept()).toBeUndefined()
    expect(book.top(3).map((t) => t.id)).toEqual(['wxid_99', 'wxid_98', 'wxid_97'])
    expect(ranks.built).toBe(true)
  })

  it('a row copied by hand into a second member file is ranked once, and the build does not fail on it', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    for (let i = 0; i < 40; i++) first.book.adjust(`wxid_${i}`, 10 + i, 'adjust', { now: i, day: 'd', group: 'g' })
    await first.store.durable()
    const right = bucketOf('wxid_5', first.book.members.buckets)
    const other = right === '00' ? '01' : '00'
    await adapter.commit([{ key: `checkin/pool:p/members/${other}/wxid_5`, value: first.book.get('wxid_5') as unknown as Json }])
    const { book, ranks } = await started(adapter)
    await book.warmRanks()
    expect(ranks.built).toBe(true)
    expect(book.rank('wxid_5')).toBe(35)
    expect(book.rank('wxid_4')).toBe(36)
    expect([...ranks.entries()].filter((e) => e.id === 'wxid_5')).toHaveLength(1)
  })

  it('a big pool built in steps (buckets, then the merge in slices) still sees every change made between the steps', async () => {
    const adapter = new MemoryAdapter()
    const first = await started(adapter)
    const rnd = prng(9)
    // more members than one merge slice: the merge itself takes several turns
    for (let i = 0; i < 45_000; i++) first.book.members.set(`wxid_${i}`, { name: `m${i}`, total: Math.floor(rnd() * 50), streak: 0, lastDay: null, reachedAt: Math.floor(rnd() * 100), checkins: 0 })
    await first.store.durable()
    const { book, ranks } = await started(adapter)
    const warming = book.warmRanks()
    let turns = 0
    while (!ranks.built) {
      for (let k = 0; k < 20; k++) {
        const id = `wxid_${Math.floor(rnd() * 46_000)}`
        if (rnd() < 0.1) book.members.delete(id)
        else book.members.set(id, { name: id, total: Math.floor(rnd() * 50), streak: 0, lastDay: null, reachedAt: 100 + turns, checkins: 0 })
      }
      turns++
      await new Promise<void>((r) => setImmediate(r))
    }
    await warming
    expect(turns).toBeGreaterThanOrEqual(34) // 32 buckets, then 3 slices of the merge: changes between every two steps
    const rows = new Map<string, MemberPoints>(book.members.rows())
    const sorted = [...rows].map(([id, r]) => ({ id, total: r.total, reachedAt: r.reachedAt })).sort(compare)
    expect([...ranks.entries()].map((e) => e.id)).toEqual(sorted.map((e) => e.id))
  })
})
