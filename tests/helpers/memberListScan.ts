import { membershipOf } from '../../src/members/MemberBook.js'
import type { MemberFilter, MemberListDeps, MemberListItem } from '../../src/members/memberList.js'
import type { MemberRow } from '../../src/members/MemberRecord.js'

/**
 * The member list as it was answered before the in-memory indexes (src/members/MemberIndex.ts,
 * PoolTotals.ts, TagIndex.ts): a scan of every row in the store, points from a scan of each
 * pool, tags from a scan of the tags, then a sort of every match. Kept verbatim as the
 * reference the indexed answer is compared with (tests/unit/members/memberIndex.test.ts).
 */
const DAY = 86_400_000

interface Match {
  id: string
  row: MemberRow
  key: number | string
}

export function scanMembers(d: MemberListDeps, f: MemberFilter): Array<{ id: string; row: MemberRow }> {
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

  // every row in the store (the old code walked the room index for a group's members in now)
  d.book.rows.forEach(visit)

  const dir = (f.order ?? 'desc') === 'desc' ? -1 : 1
  // names in the order Chinese readers expect (pinyin), numbers as numbers; ties by id
  const byName = sort === 'name' ? new Intl.Collator('zh', { numeric: true }).compare : undefined
  out.sort((a, b) => {
    if (a.key !== b.key) return (byName ? byName(a.key as string, b.key as string) || (a.key < b.key ? -1 : 1) : a.key < b.key ? -1 : 1) * dir
    return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
  })
  return out
}

const searchTexts = new WeakMap<MemberRow, string>()
function searchText(row: MemberRow): string {
  let t = searchTexts.get(row)
  if (t === undefined) searchTexts.set(row, (t = [row.name, ...row.names].join('\n').toLowerCase()))
  return t
}

function pointsIndex(d: MemberListDeps, f: MemberFilter): (id: string) => number {
  const pool = f.pool ?? (f.group !== undefined ? d.poolOf(f.group) : undefined)
  const totals = new Map<string, number>()
  for (const p of pool !== undefined ? [pool] : d.pools()) d.points(p).members.forEach((id, row) => totals.set(id, (totals.get(id) ?? 0) + row.total))
  return (id) => totals.get(id) ?? 0
}
function wantTagsIndex(d: MemberListDeps, wanted: readonly string[] | undefined): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>()
  if (!wanted || wanted.length === 0) return out
  d.tags.rows.forEach((id, marks) => {
    const mine = wanted.filter((t) => Object.hasOwn(marks, t))
    if (mine.length > 0) out.set(id, new Set(mine))
  })
  return out
}

/** A member's line as it was made before the indexes: points and tags by keyed reads of the store. */
export function scanDescribe(d: MemberListDeps, f: MemberFilter, id: string, row: MemberRow): MemberListItem {
  const pool = f.pool ?? (f.group !== undefined ? d.poolOf(f.group) : undefined)
  const points = (pool !== undefined ? [pool] : d.pools()).reduce((n, p) => n + (d.points(p).get(id)?.total ?? 0), 0)
  const groupsIn = new Set<string>()
  const groupsSeen = new Set<string>()
  for (const s of row.rooms) {
    groupsSeen.add(s.group)
    if (s.in) groupsIn.add(s.group)
  }
  const m = f.group !== undefined ? membershipOf(row, f.group) : undefined
  let latest: MemberRow['rooms'][number] | undefined
  for (const s of row.rooms) if (!latest || (s.joinedAt ?? 0) > (latest.joinedAt ?? 0)) latest = s
  const standing = m ?? latest
  let joinedAny: number | undefined
  for (const s of row.rooms) if (s.joinedAt !== undefined && (joinedAny === undefined || s.joinedAt > joinedAny)) joinedAny = s.joinedAt
  const isIn = f.group !== undefined ? m?.in === true : groupsIn.size > 0
  const item: MemberListItem = {
    id,
    name: row.name,
    names: row.names,
    groups: [...groupsIn].sort(),
    leftGroups: [...groupsSeen].filter((g) => !groupsIn.has(g)).sort(),
    status: isIn ? 'in' : row.rooms.length > 0 && (f.group === undefined || m) ? 'left' : 'unknown',
    points,
    lastActive: f.group !== undefined ? row.activity.find((a) => a.group === f.group)?.last : row.lastActive,
    joined: f.group !== undefined ? m?.joinedAt : joinedAny,
    via: standing?.via,
    inviterId: standing?.inviterId,
    tags: Object.keys(d.tags.of(id)).sort(),
  }
  for (const k of ['lastActive', 'joined', 'via', 'inviterId'] as const) if (item[k] === undefined) delete item[k]
  return item
}
