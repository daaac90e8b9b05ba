import type { MemberBook } from './MemberBook.js'
import { membershipOf } from './MemberBook.js'
import type { MemberRow } from './MemberRecord.js'
import type { PointsBook } from './PointsBook.js'
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

interface Match {
  id: string
  row: MemberRow
  key: number | string
}

/**
 * The members matching `f`, sorted, as ids with their rows: a scan of the rows (or, for the
 * members in a group now, of that group's in-memory index) with the cheap tests first and
 * the points and tags looked up only when a filter or the sort needs them.
 */
export function selectMembers(d: MemberListDeps, f: MemberFilter): Array<{ id: string; row: MemberRow }> {
  const out: Match[] = []
  const q = f.q?.trim().toLowerCase() || undefined
  const wantTags = f.tags && f.tags.length > 0 ? [...new Set(f.tags)] : undefined
  const tagMode = f.tagMode ?? 'any'
  const needPoints = f.pointsMin !== undefined || f.pointsMax !== undefined || f.sort === 'points'
  // one pass over the points tables (and the tags) per query, then a Map lookup per member:
  // far cheaper than a keyed read per member and pool for a scan of 100,000
  const pointsOf = needPoints ? pointsIndex(d, f) : () => 0
  const tagsOf = wantTagsIndex(d, f.tags)
  const silentBefore = f.silentDays !== undefined ? d.now - f.silentDays * DAY : undefined
  const sort = f.sort ?? 'lastActive'
  const group = f.group

  const visit = (id: string, row: MemberRow): void => {
    // where they stand (in the group, or anywhere): one loop over their rooms, no allocation
    let isIn = false
    let any = false
    let joined: number | undefined
    let viaOk = f.via === undefined
    for (const s of row.rooms) {
      if (group !== undefined && s.group !== group) continue
      any = true
      if (s.in) isIn = true
      if (s.joinedAt !== undefined && (joined === undefined || s.joinedAt > joined)) joined = s.joinedAt
      if (!viaOk && (s.via === f.via || s.inviterId === f.via)) viaOk = true
    }
    if (group !== undefined && !any) return
    if (f.status === 'in' && !isIn) return
    if (f.status === 'left' && (isIn || !any)) return
    if (!viaOk) return
    // the group's membership picks the via of the room they are in; any of their rooms will do here
    let last: number | undefined
    if (group !== undefined) {
      for (const a of row.activity) if (a.group === group) last = a.last
    } else last = row.lastActive
    if (f.joinedFrom !== undefined && (joined === undefined || joined < f.joinedFrom)) return
    if (f.joinedTo !== undefined && (joined === undefined || joined >= f.joinedTo)) return
    if (silentBefore !== undefined && (last ?? joined ?? row.seen) > silentBefore) return
    if (q !== undefined && !id.toLowerCase().includes(q) && !searchText(row).includes(q)) return
    if (wantTags) {
      const mine = tagsOf.get(id)
      if (tagMode === 'any' && !mine) return
      if (tagMode === 'all' && (!mine || mine.size < wantTags.length)) return
      if (tagMode === 'none' && mine) return
    }
    let points = 0
    if (needPoints) {
      points = pointsOf(id)
      if (f.pointsMin !== undefined && points < f.pointsMin) return
      if (f.pointsMax !== undefined && points > f.pointsMax) return
    }
    const key = sort === 'points' ? points : sort === 'joined' ? (joined ?? -Infinity) : sort === 'name' ? row.name : (last ?? -Infinity)
    out.push({ id, row, key })
  }

  if (group !== undefined && f.status === 'in') {
    for (const id of d.book.rooms().inGroup(group)) {
      const row = d.book.rows.get(id)
      if (row) visit(id, row)
    }
  } else d.book.rows.forEach(visit)

  const dir = (f.order ?? 'desc') === 'desc' ? -1 : 1
  // names in the order Chinese readers expect (pinyin), numbers as numbers; ties by id
  const byName = sort === 'name' ? new Intl.Collator('zh', { numeric: true }).compare : undefined
  out.sort((a, b) => {
    if (a.key !== b.key) return (byName ? byName(a.key as string, b.key as string) || (a.key < b.key ? -1 : 1) : a.key < b.key ? -1 : 1) * dir
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  })
  return out
}

/** Every name seen, lower-cased, once per row version (rows are replaced, never changed). */
const searchTexts = new WeakMap<MemberRow, string>()
function searchText(row: MemberRow): string {
  let t = searchTexts.get(row)
  if (t === undefined) searchTexts.set(row, (t = [row.name, ...row.names].join('\n').toLowerCase()))
  return t
}

/**
 * Describes matches as list lines: for many lines (the CSV) the points come from one pass over
 * the pools, for a page from a keyed read each.
 */
export function describer(d: MemberListDeps, f: MemberFilter, many: boolean): (id: string, row: MemberRow) => MemberListItem {
  const points = many ? pointsIndex(d, f) : pointsReader(d, f)
  return (id, row) => describeMember(d, f, id, row, points)
}

/** The list's line for a member (points as `f` counts them). */
export function describeMember(d: MemberListDeps, f: MemberFilter, id: string, row: MemberRow, points = pointsReader(d, f)): MemberListItem {
  const groupsIn = new Set<string>()
  const groupsSeen = new Set<string>()
  for (const s of row.rooms) {
    groupsSeen.add(s.group)
    if (s.in) groupsIn.add(s.group)
  }
  const m = f.group !== undefined ? membershipOf(row, f.group) : undefined
  const standing = m ?? latestStanding(row)
  const isIn = f.group !== undefined ? m?.in === true : groupsIn.size > 0
  return compactItem({
    id,
    name: row.name,
    names: row.names,
    groups: [...groupsIn].sort(),
    leftGroups: [...groupsSeen].filter((g) => !groupsIn.has(g)).sort(),
    status: isIn ? 'in' : row.rooms.length > 0 && (f.group === undefined || m) ? 'left' : 'unknown',
    points: points(id),
    lastActive: f.group !== undefined ? row.activity.find((a) => a.group === f.group)?.last : row.lastActive,
    joined: f.group !== undefined ? m?.joinedAt : latestJoin(row),
    via: standing?.via,
    inviterId: standing?.inviterId,
    tags: Object.keys(d.tags.of(id)).sort(),
  })
}

/** Totals of the pool `f` counts in (or of every pool summed), read in one pass per pool. */
function pointsIndex(d: MemberListDeps, f: MemberFilter): (id: string) => number {
  const pool = f.pool ?? (f.group !== undefined ? d.poolOf(f.group) : undefined)
  const totals = new Map<string, number>()
  for (const p of pool !== undefined ? [pool] : d.pools()) d.points(p).members.forEach((id, row) => totals.set(id, (totals.get(id) ?? 0) + row.total))
  return (id) => totals.get(id) ?? 0
}

/** Who has which of the wanted tags, in one pass over the tags. */
function wantTagsIndex(d: MemberListDeps, wanted: readonly string[] | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  if (!wanted || wanted.length === 0) return out
  d.tags.rows.forEach((id, marks) => {
    const mine = wanted.filter((t) => Object.hasOwn(marks, t))
    if (mine.length > 0) out.set(id, new Set(mine))
  })
  return out
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

function compactItem(i: MemberListItem): MemberListItem {
  if (i.lastActive === undefined) delete i.lastActive
  if (i.joined === undefined) delete i.joined
  if (i.via === undefined) delete i.via
  if (i.inviterId === undefined) delete i.inviterId
  return i
}
