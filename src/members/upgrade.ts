import type { Store } from '../store/Store.js'
import { unsegment } from '../store/Store.js'
import type { MemberPoints } from './PointsBook.js'
import type { TagMark } from './TagBook.js'
import type { MemberBook } from './MemberBook.js'

/** The member record's format; absent in a data dir from before the record existed. */
export const RECORD_VERSION = 1

/**
 * A brand upgrading from a version without the member record keeps its points and tags (they
 * never moved: `checkin/pool:*` and `core/tags/`), and its members are in the record from the
 * first start: one row per contact with points in any pool or a tag, named as the pool last
 * saw them. Where they are is learned by the first read of each room (in the room when first
 * listed: no join is counted). Their timelines start from what the store already has: the
 * ledgers, orders, strikes and hand-offs are read when a timeline is shown (src/console/members/timeline.ts).
 * Returns how many members were adopted (0 when the record exists already).
 */
export function adoptExistingMembers(book: MemberBook, store: Store, now: number): number {
  if (book.ns.get<number>('meta/version') !== undefined) return 0
  const found = new Map<string, { name: string; seen: number }>()
  const add = (id: string, name: string | undefined, at: number): void => {
    const old = found.get(id)
    if (!old) found.set(id, { name: name ?? id, seen: at })
    else {
      if (old.name === id && name) old.name = name
      if (at < old.seen) old.seen = at
    }
  }
  // points rows of every pool: checkin/pool:<name>/members/<bucket>/<id>
  store.each('checkin/', (dir, leaf, value) => {
    if (!/^checkin\/pool:[^/]+\/members\/[^/]+$/.test(dir)) return
    const row = value as unknown as MemberPoints
    add(unsegment(leaf), row.name, row.reachedAt ?? now)
  })
  store.each('core/tags/', (_dir, leaf, value) => {
    const marks = Object.values(value as unknown as Record<string, TagMark>)
    add(unsegment(leaf), undefined, Math.min(now, ...marks.map((m) => m.at)))
  })
  let adopted = 0
  for (const [id, m] of found) {
    if (book.get(id)) continue
    book.put(id, { name: m.name, names: m.name !== id ? [m.name] : [], seen: m.seen, adoptedAt: now, rooms: [], activity: [], events: [] }, undefined)
    adopted++
  }
  book.ns.set('meta/version', RECORD_VERSION)
  return adopted
}
