import { describe, expect, it } from 'vitest'
import { PointsBook, type MemberPoints } from '../../../src/members/PointsBook.js'
import { compare, RankOrder, type Ranked } from '../../../src/members/RankOrder.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { Store } from '../../../src/store/Store.js'

/** A small seeded PRNG (mulberry32): the same "random" operations on every run. */
function prng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

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
