import { followTable } from '../store/followTable.js'
import type { Table } from '../store/Store.js'
import type { MemberRow } from './MemberRecord.js'

/** Where a member stands in one group, as the member list filters it. */
export interface GroupPlace {
  group: string
  /** In a room of the group now. */
  in: boolean
  /** The latest join into a room of the group. */
  joined: number | undefined
  /** The last message in the group. */
  last: number | undefined
}

/**
 * One member in the index: their current row (the store's own object, not a copy) and what
 * the list reads of it, in plain fields of one object (a scan of 100,000 then touches little
 * memory besides these), derived by `fresh()` when first read after the row changed (a row is
 * replaced on every change, never changed in place, so "derived from this row" is an identity
 * test).
 */
export class ListedMember {
  /** Groups with a standing of theirs (kept at once: the index's groups follow them). */
  groups: readonly string[]
  /** The id, lower-cased. */
  idLower = ''
  /** Every name seen, lower-cased, one per line. */
  names = ''
  /** In a room or out of it: has any standing at all. */
  placed = false
  /** In some room now. */
  isIn = false
  /** The latest join into any room. */
  latestJoin: number | undefined = undefined
  /** The last message anywhere. */
  lastActive: number | undefined = undefined
  /** When the bot first knew them. */
  seen = 0
  private places: GroupPlace[] = []
  private from: MemberRow | undefined

  constructor(
    readonly id: string,
    public row: MemberRow,
  ) {
    this.groups = groupsOf(row)
    this.idLower = id.toLowerCase()
    // at once for a new member (the index's first scan derives everyone: no query pays for it)
    this.fresh()
  }

  /** Does `q` (lower-cased) occur in the id or in any name seen? (After fresh().) */
  matches(q: string): boolean {
    return this.idLower.includes(q) || this.names.includes(q)
  }

  /** Their place in the group (undefined: never in a room of it). (After fresh().) */
  place(group: string): GroupPlace | undefined {
    for (const p of this.places) if (p.group === group) return p
    return undefined
  }

  /** The fields above, derived from the current row. */
  fresh(): this {
    const row = this.row
    const from = this.from
    if (from === row) return this
    this.from = row
    // most changes are messages: the names stay (the same array), and lower-casing them is the dear part
    if (from === undefined || from.name !== row.name || from.names !== row.names) this.names = [row.name, ...row.names].join('\n').toLowerCase()
    this.placed = row.rooms.length > 0
    this.lastActive = row.lastActive
    this.seen = row.seen
    this.places = []
    this.isIn = false
    this.latestJoin = undefined
    for (const s of row.rooms) {
      let p = this.place(s.group)
      if (!p) {
        let last: number | undefined
        for (const a of row.activity) if (a.group === s.group) last = a.last
        this.places.push((p = { group: s.group, in: false, joined: undefined, last }))
      }
      if (s.in) p.in = this.isIn = true
      if (s.joinedAt !== undefined) {
        if (p.joined === undefined || s.joinedAt > p.joined) p.joined = s.joinedAt
        if (this.latestJoin === undefined || s.joinedAt > this.latestJoin) this.latestJoin = s.joinedAt
      }
    }
    return this
  }
}

/**
 * Every member of the record in memory, and the members of each group (ever in a room of it):
 * what the member list (CONTRACT §11) walks instead of the store's rows, which cost a keyed
 * read or a scan of 256 documents per query. Built with one scan of the rows on first use,
 * then kept in step with every change of a row, whoever writes it (see followTable): joins,
 * leaves, names, messages, forgets and retention sweeps alike.
 */
export class MemberIndex {
  private readonly members = new Map<string, ListedMember>()
  private readonly byGroup = new Map<string, Set<ListedMember>>()

  static of(rows: Table<MemberRow>): MemberIndex {
    return followTable(rows, 'list', () => new MemberIndex())
  }

  private constructor() {}

  get size(): number {
    return this.members.size
  }

  /** Every member. */
  all(): Iterable<ListedMember> {
    return this.members.values()
  }

  /** Members ever in a room of the group (do not change the set). */
  inGroup(group: string): ReadonlySet<ListedMember> {
    return this.byGroup.get(group) ?? EMPTY
  }

  get(id: string): ListedMember | undefined {
    return this.members.get(id)
  }

  row(id: string, _before: MemberRow | undefined, after: MemberRow | undefined): void {
    // what the index holds is its own truth of which groups to leave, not `before`
    const m = this.members.get(id)
    if (after === undefined) {
      if (!m) return
      this.members.delete(id)
      for (const g of m.groups) this.leaveGroup(g, m)
      return
    }
    if (!m) {
      const fresh = new ListedMember(id, after)
      this.members.set(id, fresh)
      for (const g of fresh.groups) this.joinGroup(g, fresh)
      return
    }
    const rooms = m.row.rooms
    m.row = after
    if (rooms === after.rooms) return
    const groups = groupsOf(after)
    for (const g of m.groups) if (!groups.includes(g)) this.leaveGroup(g, m)
    for (const g of groups) if (!m.groups.includes(g)) this.joinGroup(g, m)
    m.groups = groups
  }

  private joinGroup(group: string, m: ListedMember): void {
    let set = this.byGroup.get(group)
    if (!set) this.byGroup.set(group, (set = new Set()))
    set.add(m)
  }

  private leaveGroup(group: string, m: ListedMember): void {
    const set = this.byGroup.get(group)
    set?.delete(m)
    if (set?.size === 0) this.byGroup.delete(group)
  }
}

function groupsOf(row: MemberRow): string[] {
  const out: string[] = []
  for (const s of row.rooms) if (!out.includes(s.group)) out.push(s.group)
  return out
}

const EMPTY: ReadonlySet<ListedMember> = new Set()
