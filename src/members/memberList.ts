import type { MemberBook } from './MemberBook.js'
import { membershipOf } from './MemberBook.js'
import type { MemberRow } from './MemberRecord.js'
import type { PointsBook } from './PointsBook.js'
import { IndexHeap } from './IndexHeap.js'
import { summedTotals } from './PoolTotals.js'
import type { ListedMember } from './MemberIndex.js'
import type { TagBook } from './TagBook.js'

const DAY = 86_400_000

/** The member list's filters (CONTRACT §11), already checked and in epoch ms. */
export interface MemberFilter {
  /** Only members ever in a room of this group; `status`, `joined`, `via` and silence are then about this group. */
  group?: string
  /** A substring of any name seen, or of the contact id (case-insensitive). */
  q?: string
  tags?: readonly string[]
  tagMode?: 'any' | 'all' | 'none'
  pointsMin?: number
  pointsMax?: number
  /** The pool `points` are counted in (default: the group's pool; no group: every pool summed). */
  pool?: string
  /** Silent for at least this many days (no message since; never spoke: joined or first seen before). */
  silentDays?: number
  /** The latest join in [joinedFrom, joinedTo). */
  joinedFrom?: number
  joinedTo?: number
  /** A gate keyword, or the contact id of the member who invited them. */
  via?: string
  status?: 'in' | 'left'
  sort?: 'points' | 'lastActive' | 'joined' | 'name'
  order?: 'asc' | 'desc'
}

export interface MemberListDeps {
  book: MemberBook
  tags: TagBook
  /** A pool's points, read-only. */
  points: (pool: string) => PointsBook
  /** Every pool the config's groups earn into. */
  pools: () => string[]
  /** The pool a group earns into. */
  poolOf: (group: string) => string
  now: number
}

/** One line of the list (times in epoch ms; the API turns them into ISO 8601). */
export interface MemberListItem {
  id: string
  name: string
  names: string[]
  /** Groups the member is in now. */
  groups: string[]
  /** Groups the member has left (and is not in again). */
  leftGroups: string[]
  status: 'in' | 'left' | 'unknown'
  points: number
  lastActive?: number
  joined?: number
  via?: string
  inviterId?: string
  tags: string[]
}

/**
 * The members matching `f`, sorted, as ids with their rows (the CSV: every match). See pageOf.
 */
export function selectMembers(d: MemberListDeps, f: MemberFilter): Array<{ id: string; row: MemberRow }> {
  return pageOf(d, f, 0, Infinity).items
}

/**
 * How many members match `f`, and those at [start, start + size) in the order `f` sorts by.
 *
 * From the in-memory indexes kept on every change (MemberIndex for the rows and each group's
 * members, PoolTotals for points, TagIndex for tags), never the store's rows: each candidate
 * is tested from fields derived once per row version, the cheap tests first. Every match has to
 * be tested (the answer says how many there are), but only the page is put in order: a heap
 * of `start + size` entries picks it out of 100,000 matches without sorting them all.
 */
export function pageOf(d: MemberListDeps, f: MemberFilter, start: number, size: number): { total: number; items: Array<{ id: string; row: MemberRow }> } {
  const q = f.q?.trim().toLowerCase() || undefined
  const tagIndex = f.tags && f.tags.length > 0 ? d.tags.index() : undefined
  const wanted = tagIndex ? [...new Set(f.tags)].map((t) => tagIndex.with(t)) : undefined
  const tagMode = f.tagMode ?? 'any'
  const needPoints = f.pointsMin !== undefined || f.pointsMax !== undefined || f.sort === 'points'
  const pointsOf = needPoints ? pointTotals(d, f) : undefined
  const silentBefore = f.silentDays !== undefined ? d.now - f.silentDays * DAY : undefined
  const sort = f.sort ?? 'lastActive'
  const group = f.group
  const index = d.book.listIndex()

  const hits: ListedMember[] = []
  const keys: Array<number | string> = []
  for (const e of group !== undefined ? index.inGroup(group) : index.all()) {
    const m = e.fresh()
    // where they stand (in the group, or anywhere)
    let isIn: boolean
    let any: boolean
    let joined: number | undefined
    let last: number | undefined
    if (group !== undefined) {
      const p = m.place(group)
      if (!p) continue
      any = true
      isIn = p.in
      joined = p.joined
      last = p.last
    } else {
      any = m.placed
      isIn = m.isIn
      joined = m.latestJoin
      last = m.lastActive
    }
    if (f.status === 'in' && !isIn) continue
    if (f.status === 'left' && (isIn || !any)) continue
    // the group's membership picks the via of the room they are in; any of their rooms will do here
    if (f.via !== undefined && !m.row.rooms.some((s) => (group === undefined || s.group === group) && (s.via === f.via || s.inviterId === f.via))) continue
    if (f.joinedFrom !== undefined && (joined === undefined || joined < f.joinedFrom)) continue
    if (f.joinedTo !== undefined && (joined === undefined || joined >= f.joinedTo)) continue
    if (silentBefore !== undefined && (last ?? joined ?? m.seen) > silentBefore) continue
    if (q !== undefined && !m.matches(q)) continue
    if (wanted) {
      let mine = 0
      for (const set of wanted) if (set.has(m.id)) mine++
      if (tagMode === 'any' && mine === 0) continue
      if (tagMode === 'all' && mine < wanted.length) continue
      if (tagMode === 'none' && mine > 0) continue
    }
    let points = 0
    if (pointsOf) {
      points = pointsOf.get(m.id) ?? 0
      if (f.pointsMin !== undefined && points < f.pointsMin) continue
      if (f.pointsMax !== undefined && points > f.pointsMax) continue
    }
    hits.push(m)
    keys.push(sort === 'points' ? points : sort === 'joined' ? (joined ?? -Infinity) : sort === 'name' ? m.row.name : (last ?? -Infinity))
  }

  const dir = (f.order ?? 'desc') === 'desc' ? -1 : 1
  // names in the order Chinese readers expect (pinyin), numbers as numbers; ties by id
  const byName = sort === 'name' ? collator.compare : undefined
  const before = (a: number, b: number): number => {
    const ka = keys[a]!
    const kb = keys[b]!
    if (ka !== kb) return (byName ? byName(ka as string, kb as string) || (ka < kb ? -1 : 1) : ka < kb ? -1 : 1) * dir
    const ia = hits[a]!.id
    const ib = hits[b]!.id
    return ia < ib ? -1 : ia > ib ? 1 : 0
  }
  const order = firstInOrder(hits.length, Math.min(hits.length, start + size), before)
  return { total: hits.length, items: order.slice(start).map((i) => ({ id: hits[i]!.id, row: hits[i]!.row })) }
}

/** Made once: a collator costs a millisecond or more to make. */
const collator = new Intl.Collator('zh', { numeric: true })

/**
 * The first `k` of the indexes 0…n-1 in the order `before` says (a total order), sorted. A
 * full sort when k is a good part of n; else one pass keeping the best k seen in a max-heap
 * (n log k at worst, and most candidates lose to the heap's top in one comparison).
 */
export function firstInOrder(n: number, k: number, before: (a: number, b: number) => number): number[] {
  if (k <= 0) return []
  if (k * 4 >= n) {
    const all = Array.from({ length: n }, (_, i) => i)
    all.sort(before)
    return all.slice(0, k)
  }
  // the top is the worst of the best k seen so far
  const best = new IndexHeap((a, b) => before(b, a))
  for (let i = 0; i < n; i++) {
    if (best.size < k) best.push(i)
    else if (before(i, best.top!) < 0) best.replaceTop(i)
  }
  return best.toArray().sort(before)
}

/** Totals of the pool `f` counts in, or of every pool summed (from each pool's PoolTotals). */
function pointTotals(d: MemberListDeps, f: MemberFilter): ReadonlyMap<string, number> {
  const pool = f.pool ?? (f.group !== undefined ? d.poolOf(f.group) : undefined)
  const pools = pool !== undefined ? [pool] : d.pools()
  return summedTotals(pools.map((p) => d.points(p).totals()))
}

/**
 * Describes matches as list lines (undefined fields left in: see describeMember): for many
 * lines (the CSV) the points come from the pools' in-memory totals, for a page from a keyed
 * read each.
 */
export function describer(d: MemberListDeps, f: MemberFilter, many: boolean): (id: string, row: MemberRow) => MemberListItem {
  let points: (id: string) => number
  if (many) {
    const totals = pointTotals(d, f)
    points = (id) => totals.get(id) ?? 0
  } else points = pointsReader(d, f)
  const tags = d.tags.index()
  return (id, row) => lineOf(f, id, row, points(id), tags.tagsOf(id))
}

/** The list's line for a member (points as `f` counts them), without its absent fields. */
export function describeMember(d: MemberListDeps, f: MemberFilter, id: string, row: MemberRow, points = pointsReader(d, f)): MemberListItem {
  return compactItem(lineOf(f, id, row, points(id), d.tags.index().tagsOf(id)))
}

function lineOf(f: MemberFilter, id: string, row: MemberRow, points: number, tags: readonly string[]): MemberListItem {
  // a member is in a few rooms: arrays beat Sets here
  const groupsIn: string[] = []
  const groupsSeen: string[] = []
  for (const s of row.rooms) {
    if (!groupsSeen.includes(s.group)) groupsSeen.push(s.group)
    if (s.in && !groupsIn.includes(s.group)) groupsIn.push(s.group)
  }
  const m = f.group !== undefined ? membershipOf(row, f.group) : undefined
  const standing = m ?? latestStanding(row)
  const isIn = f.group !== undefined ? m?.in === true : groupsIn.length > 0
  return {
    id,
    name: row.name,
    names: row.names,
    groups: groupsIn.sort(),
    leftGroups: groupsSeen.filter((g) => !groupsIn.includes(g)).sort(),
    status: isIn ? 'in' : row.rooms.length > 0 && (f.group === undefined || m) ? 'left' : 'unknown',
    points,
    lastActive: f.group !== undefined ? row.activity.find((a) => a.group === f.group)?.last : row.lastActive,
    joined: f.group !== undefined ? m?.joinedAt : latestJoin(row),
    via: standing?.via,
    inviterId: standing?.inviterId,
    tags: [...tags],
  }
}

function pointsReader(d: MemberListDeps, f: MemberFilter): (id: string) => number {
  const pool = f.pool ?? (f.group !== undefined ? d.poolOf(f.group) : undefined)
  if (pool !== undefined) {
    const book = d.points(pool)
    return (id) => book.get(id)?.total ?? 0
  }
  const books = d.pools().map((p) => d.points(p))
  return (id) => books.reduce((n, b) => n + (b.get(id)?.total ?? 0), 0)
}

function latestJoin(row: MemberRow): number | undefined {
  let at: number | undefined
  for (const s of row.rooms) if (s.joinedAt !== undefined && (at === undefined || s.joinedAt > at)) at = s.joinedAt
  return at
}

function latestStanding(row: MemberRow): { via?: string; inviterId?: string } | undefined {
  let best: MemberRow['rooms'][number] | undefined
  for (const s of row.rooms) if (!best || (s.joinedAt ?? 0) > (best.joinedAt ?? 0)) best = s
  return best
}

/** A line without its absent fields (the API leaves them out). */
export function compactItem(i: MemberListItem): MemberListItem {
  if (i.lastActive === undefined) delete i.lastActive
  if (i.joined === undefined) delete i.joined
  if (i.via === undefined) delete i.via
  if (i.inviterId === undefined) delete i.inviterId
  return i
}
