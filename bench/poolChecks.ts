import { PointsBook } from '../src/members/PointsBook.js'
import type { Store } from '../src/store/Store.js'
import { median } from './lib.js'

/** The pool the store-scale benches fill and measure (bench/storeScale.ts). */
export const SCALE_POOL = 'checkin/pool:scale/'

export function scaleCheckin(book: PointsBook, id: string, day: string, yesterday: string): void {
  book.checkIn({ memberId: id, name: id, day, yesterday, now: Date.now(), points: 10, bonusForStreak: () => 0, group: 'scale', room: 'r@chatroom' })
}

/**
 * What a member feels on a pool of any size, whatever the adapter: 200 check-ins each durable
 * before the next (the latency a lone member sees), then `burst` check-ins arriving together
 * until every one is stored (they share group commits), then 我的积分 (rank) and 积分榜 (top 10),
 * scans of the pool's rows.
 */
export async function measurePool(store: Store, burst: number): Promise<{ book: PointsBook; singleMsP50: number; burstMs: number; rankMs: number; topMs: number }> {
  const book = new PointsBook(await store.open(SCALE_POOL))
  const single: number[] = []
  for (let i = 0; i < 200; i++) {
    const t = performance.now()
    scaleCheckin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
    await store.durable()
    single.push(performance.now() - t)
  }
  const t1 = performance.now()
  for (let i = 200; i < 200 + burst; i++) scaleCheckin(book, `wxid_member_${i}`, '2026-11-26', '2026-11-25')
  await store.durable()
  const burstMs = performance.now() - t1
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
  return { book, singleMsP50: median(single), burstMs, rankMs: median(scans), topMs: median(tops) }
}
