import type { Member, RoomRef } from './refs.js'
import { segment, type Namespace, type Table } from '../store/Store.js'
import type { ZonedTime } from '../time/ZonedTime.js'
import type { GroupMembership, JoinedMember, MemberDirectory, SilentMember } from './MemberDirectory.js'
import {
  addDay,
  compact,
  dayNumber,
  EXPECT_MS,
  MAX_EVENTS,
  MAX_NAMES,
  type BotMessageRef,
  type MemberEvent,
  type MemberRow,
  type RoomStanding,
} from './MemberRecord.js'
import { MemberIndex } from './MemberIndex.js'
import { RoomIndex } from './RoomIndex.js'

export interface MemberBookOptions {
  time: () => ZonedTime
  /** `bot.privacy.retainDays`: how many days of message counts are kept. */
  retainDays: () => number
  /** The engine's clock (writes without an event time: expectJoin). */
  now: () => number
}

/** A join or leave as the engine hands it to the book. */
export interface MemberChange {
  now: number
  /** join: the room-join inviter (a member); leave: who removed them. */
  by?: string
  /** join: the bot itself added them (a gate invite). */
  byBot?: boolean
  /** Found by reconciling the room's member list: it happened in [from, now]. */
  found?: { from?: number }
}

/** A leave this soon after a bot message in the same room is counted as following it. */
export const AFTER_BOT_MS = 3600_000

/**
 * The member record (CONTRACT §11), brand-wide, under `core/members/`: one row per contact in
 * a bucketed table (so changing one member rewrites a small file, and 100,000 members are 256
 * files of a few hundred rows), the last bot message per room (`said/<room>`), and when each
 * room's member list was last compared (`listed/<room>`, see reconcile).
 *
 * The engine writes it from events, synchronously, in the same turn (so the same store
 * commit) as the event's other records: a message is counted where `#stats` counts it, a join
 * recorded where it is counted and welcomed. Every write goes through `put`, which also keeps
 * the in-memory RoomIndex in step.
 */
export class MemberBook implements MemberDirectory {
  readonly rows: Table<MemberRow>
  private readonly said: Namespace
  readonly listed: Namespace
  private index: RoomIndex | undefined
  /** Per room: bumped whenever someone's standing in it changes (a member-list read compares it). */
  private readonly versions = new Map<string, number>()

  constructor(
    readonly ns: Namespace,
    private readonly o: MemberBookOptions,
  ) {
    this.rows = ns.table<MemberRow>('rows', 256)
    this.said = ns.child('said')
    this.listed = ns.child('listed')
  }

  // ---- reads (MemberDirectory) -------------------------------------------------------------

  get(contactId: string): Readonly<MemberRow> | undefined {
    return this.rows.get(contactId)
  }

  membership(contactId: string, group: string): GroupMembership | undefined {
    return membershipOf(this.rows.get(contactId), group)
  }

  joinedBetween(group: string, from: number, to: number): JoinedMember[] {
    const out: JoinedMember[] = []
    for (const id of this.rooms().inGroup(group)) {
      const row = this.rows.get(id)
      if (!row) continue
      for (const s of row.rooms) {
        if (s.group !== group || !s.in || s.joinedAt === undefined || s.joinedAt < from || s.joinedAt >= to) continue
        out.push({ id, name: row.name, roomId: s.room, joinedAt: s.joinedAt })
        break
      }
    }
    return out.sort((a, b) => a.joinedAt - b.joinedAt || (a.id < b.id ? -1 : 1))
  }

  silentSince(group: string, before: number): SilentMember[] {
    const out: SilentMember[] = []
    for (const id of this.rooms().inGroup(group)) {
      const row = this.rows.get(id)
      if (!row) continue
      const standing = row.rooms.find((s) => s.group === group && s.in)
      if (!standing) continue
      const last = row.activity.find((a) => a.group === group)?.last
      const silent = last !== undefined ? last < before : (standing.joinedAt ?? -Infinity) < before
      if (silent) out.push(compact({ id, name: row.name, roomId: standing.room, lastActive: last, joinedAt: standing.joinedAt }))
    }
    return out.sort((a, b) => (a.lastActive ?? a.joinedAt ?? 0) - (b.lastActive ?? b.joinedAt ?? 0) || (a.id < b.id ? -1 : 1))
  }

  expectJoin(contactId: string, group: string, via: string): void {
    const prev = this.rows.get(contactId)
    const now = this.now()
    const row = prev ?? this.fresh({ id: contactId, name: contactId }, now)
    const expect = (row.expect ?? []).filter((e) => e.group !== group && now - e.at < EXPECT_MS)
    expect.push({ group, via, at: now })
    this.put(contactId, { ...row, expect }, prev)
  }

  /** Who is in which room now (built on first use; see RoomIndex). */
  rooms(): RoomIndex {
    if (!this.index) {
      const index = new RoomIndex()
      this.rows.forEach((id, row) => index.apply(id, undefined, row.rooms))
      this.index = index
    }
    return this.index
  }

  /** Every member and each group's members, in memory, for the member list (built on first use; see MemberIndex). */
  listIndex(): MemberIndex {
    return MemberIndex.of(this.rows)
  }

  /** Is the member known to have left this room (and not come back)? */
  isOut(roomId: string, contactId: string): boolean {
    const s = this.rows.get(contactId)?.rooms.find((r) => r.room === roomId)
    return s !== undefined && !s.in
  }

  /** Changes of who is in the room so far (in memory): unchanged across an await means no event came in between. */
  roomVersion(roomId: string): number {
    return this.versions.get(roomId) ?? 0
  }

  /** When the room's member list was last compared with the record (undefined: never). */
  listedAt(roomId: string): number | undefined {
    return this.listed.get<{ at: number }>(segment(roomId))?.at
  }

  noteListed(roomId: string, at: number, members: number): void {
    this.listed.set(segment(roomId), { at, members })
  }

  /** Names the puppet gives for a member (a member list read): added to the names seen. */
  noteNames(member: Member, now: number): void {
    const prev = this.rows.get(member.id)
    if (!prev) return
    const next = this.withNames(prev, member, now)
    if (next !== prev) this.put(member.id, next, prev)
  }

  /** The last bot message in a room (for leaves that follow it). */
  lastSaid(roomId: string): BotMessageRef | undefined {
    return this.said.get<BotMessageRef>(segment(roomId))
  }

  // ---- writes (the engine) -----------------------------------------------------------------

  /**
   * A message from `talker` in `room`: names seen, last message, one more on today's count.
   * Returns whether the book already had them in that room (an unknown speaker is a join the
   * puppet did not announce: see reconcile).
   */
  noteMessage(group: string, room: RoomRef, talker: Member, now: number): boolean {
    const prev = this.rows.get(talker.id)
    const row = this.withNames(prev ?? this.fresh(talker, now), talker, now)
    const day = dayNumber(this.o.time().dayKey(now))
    const oldest = day - this.o.retainDays() + 1
    const activity = row.activity.filter((a) => a.group !== group)
    const mine = row.activity.find((a) => a.group === group)
    activity.push({ group, last: now, days: addDay(mine?.days ?? [], day, oldest) })
    let known = false
    let rooms = row.rooms
    const standing = rooms.find((s) => s.room === room.id)
    if (standing) {
      known = standing.in
      // the room moved to another group (a reload): its standing follows
      if (standing.group !== group) rooms = rooms.map((s) => (s.room === room.id ? { ...s, group } : s))
    }
    this.put(talker.id, { ...row, lastActive: now, activity, rooms }, prev)
    return known
  }

  /** A member joined a room (an event, or found by reconciling). */
  noteJoin(group: string, room: RoomRef, member: Member, c: MemberChange): void {
    const prev = this.rows.get(member.id)
    const row = this.withNames(prev ?? this.fresh(member, c.now), member, c.now)
    const old = row.rooms.find((s) => s.room === room.id)
    let expect = row.expect
    let via: string | undefined
    const inviter = c.byBot ? undefined : c.by
    if (!inviter) {
      const e = expect?.find((x) => x.group === group && c.now - x.at < EXPECT_MS)
      if (e) {
        via = e.via
        expect = expect!.filter((x) => x !== e)
      }
    }
    const standing: RoomStanding = compact({
      room: room.id,
      group,
      in: true,
      joinedAt: c.now,
      leftAt: old?.leftAt,
      inviterId: inviter,
      via,
      joins: (old?.joins ?? 0) + 1,
      found: c.found ? compact({ from: c.found.from, to: c.now }) : undefined,
    })
    const event: MemberEvent = compact({ at: c.now, kind: 'join' as const, group, room: room.id, by: inviter, via, found: c.found ? true : undefined, from: c.found?.from })
    const next: MemberRow = { ...row, rooms: [...row.rooms.filter((s) => s.room !== room.id), standing], events: pushEvent(row.events, event) }
    if (expect !== row.expect) {
      if (expect && expect.length > 0) next.expect = expect
      else delete next.expect
    }
    this.put(member.id, next, prev)
  }

  /**
   * The puppet announced a join the engine already counted (within 10 minutes, e.g. found by
   * reconciling first): it may say who invited them, which the found join could not.
   */
  enrichJoin(roomId: string, contactId: string, c: { by?: string; byBot?: boolean }): void {
    const prev = this.rows.get(contactId)
    const s = prev?.rooms.find((r) => r.room === roomId)
    if (!prev || !s?.in || !s.found || s.inviterId || s.via) return
    const inviter = c.byBot ? undefined : c.by
    let via: string | undefined
    let expect = prev.expect
    if (!inviter) {
      const e = expect?.find((x) => x.group === s.group && (s.joinedAt ?? 0) - x.at < EXPECT_MS)
      via = e?.via
      if (e) expect = expect!.filter((x) => x !== e)
    }
    if (!inviter && !via) return
    const rooms = prev.rooms.map((r) => (r === s ? compact({ ...r, inviterId: inviter, via }) : r))
    const events = prev.events.map((e) => (e.kind === 'join' && e.room === roomId && e.at === s.joinedAt ? compact({ ...e, by: inviter, via }) : e))
    const next: MemberRow = { ...prev, rooms, events }
    if (expect !== prev.expect) {
      if (expect && expect.length > 0) next.expect = expect
      else delete next.expect
    }
    this.put(contactId, next, prev)
  }

  /** A member left a room (an event, or found by reconciling). */
  noteLeave(group: string, room: RoomRef, member: Member, c: MemberChange): void {
    const prev = this.rows.get(member.id)
    const row = this.withNames(prev ?? this.fresh(member, c.now), member, c.now)
    const old = row.rooms.find((s) => s.room === room.id)
    const standing: RoomStanding = compact({
      ...(old ?? { room: room.id, joins: 0 }),
      group,
      in: false,
      leftAt: c.now,
      found: c.found ? compact({ from: c.found.from, to: c.now }) : undefined,
    })
    const said = this.lastSaid(room.id)
    const after = said && c.now - said.at <= AFTER_BOT_MS && said.at <= c.now ? said : undefined
    const event: MemberEvent = compact({ at: c.now, kind: 'leave' as const, group, room: room.id, by: c.by, found: c.found ? true : undefined, from: c.found?.from, after })
    this.put(member.id, { ...row, rooms: [...row.rooms.filter((s) => s.room !== room.id), standing], events: pushEvent(row.events, event) }, prev)
  }

  /**
   * Members in a room the first time the bot lists it (at the upgrade, or a room it was just
   * added to): recorded as in, with no join (nobody joined: the bot was not looking). Not
   * counted as joins, not welcomed.
   */
  notePresent(group: string, room: RoomRef, members: readonly Member[], now: number): void {
    for (const m of members) {
      const prev = this.rows.get(m.id)
      const row = this.withNames(prev ?? this.fresh(m, now), m, now)
      const old = row.rooms.find((s) => s.room === room.id)
      if (old?.in) continue
      const standing: RoomStanding = compact({ ...(old ?? { room: room.id, joins: 0 }), group, in: true, joinedAt: undefined, found: undefined })
      const event: MemberEvent = { at: now, kind: 'present', group, room: room.id }
      this.put(m.id, { ...row, rooms: [...row.rooms.filter((s) => s.room !== room.id), standing], events: pushEvent(row.events, event) }, prev)
    }
  }

  /** A tag was taken away: the only trace of it having been given (the TagBook keeps current tags). */
  noteUntag(contactId: string, tag: string, mark: { source: string; at: number }, now: number): void {
    const prev = this.rows.get(contactId)
    if (!prev) return
    const event: MemberEvent = { at: now, kind: 'untag', tag, source: mark.source, since: mark.at }
    this.put(contactId, { ...prev, events: pushEvent(prev.events, event) }, prev)
  }

  /** The bot said something in a room (what a leave within the hour follows). */
  noteSaid(roomId: string, ref: BotMessageRef): void {
    this.said.set(segment(roomId), compact({ ...ref }))
  }

  /**
   * The retention rule (`bot.privacy.retainDays`, CONTRACT §11): the record of a member who
   * left every group is deleted that many days after their last leave (one never placed in a
   * room: that many days after they were last seen); messages per day older than that are
   * dropped from everyone's record; gate expectations older than a day go. Harmless at any
   * time (Engine.sweep, hourly). Returns what it did.
   */
  sweep(now: number): { deleted: number; trimmed: number } {
    const retainMs = this.o.retainDays() * 86_400_000
    const oldest = dayNumber(this.o.time().dayKey(now)) - this.o.retainDays() + 1
    const deletes: Array<[string, MemberRow]> = []
    const trims: Array<[string, MemberRow, MemberRow]> = []
    this.rows.forEach((id, row) => {
      if (!row.rooms.some((s) => s.in)) {
        const lastLeave = row.rooms.reduce((m, s) => Math.max(m, s.leftAt ?? -Infinity), -Infinity)
        const lastSeen = Math.max(lastLeave, row.rooms.length === 0 ? Math.max(row.seen, row.lastActive ?? -Infinity, row.adoptedAt ?? -Infinity) : -Infinity)
        if (now - lastSeen >= retainMs) {
          deletes.push([id, row])
          return
        }
      }
      const oldDays = row.activity.some((a) => a.days.length > 0 && a.days[0]! < oldest)
      const oldExpect = row.expect?.some((e) => now - e.at >= EXPECT_MS) ?? false
      if (!oldDays && !oldExpect) return
      const next: MemberRow = { ...row, activity: row.activity.map((a) => ({ ...a, days: trimDays(a.days, oldest) })) }
      const expect = row.expect?.filter((e) => now - e.at < EXPECT_MS)
      if (expect && expect.length > 0) next.expect = expect
      else delete next.expect
      trims.push([id, next, row])
    })
    for (const [id, row] of deletes) this.put(id, undefined, row)
    for (const [id, next, row] of trims) this.put(id, next, row)
    // the last bot message of a room matters for an hour
    for (const [key, said] of this.said.entries<BotMessageRef>()) if (now - said.at > AFTER_BOT_MS) this.said.delete(key)
    return { deleted: deletes.length, trimmed: trims.length }
  }

  // ---- inside ------------------------------------------------------------------------------

  private now(): number {
    return this.o.now()
  }

  private fresh(m: Member, now: number): MemberRow {
    return { name: m.name, names: [], seen: now, rooms: [], activity: [], events: [] }
  }

  /** The names a member shows now (room alias, WeChat name) added to the names seen. */
  private withNames(row: MemberRow, m: Member, now: number): MemberRow {
    const shown = [m.alias, m.nick, m.name].filter((n): n is string => typeof n === 'string' && n !== '' && n !== m.id)
    const fresh = shown.filter((n, i) => !row.names.includes(n) && shown.indexOf(n) === i)
    const name = m.name && m.name !== m.id ? m.name : row.name
    if (fresh.length === 0 && name === row.name) return row
    const names = [...row.names, ...fresh].slice(-MAX_NAMES)
    // a new name of someone already known is an event of their own (the first names are not)
    const events = row.names.length > 0 ? fresh.reduce((ev, n) => pushEvent(ev, { at: now, kind: 'name', name: n }), row.events) : row.events
    return { ...row, name, names, events }
  }

  /** The one write path: the row and the index move together. */
  put(id: string, next: MemberRow | undefined, prev: Readonly<MemberRow> | undefined): void {
    if (next === undefined) this.rows.delete(id)
    else this.rows.set(id, next)
    if (prev?.rooms === next?.rooms) return
    if (this.index) this.index.apply(id, prev?.rooms, next?.rooms)
    for (const s of [...(prev?.rooms ?? []), ...(next?.rooms ?? [])]) this.versions.set(s.room, (this.versions.get(s.room) ?? 0) + 1)
  }
}

function trimDays(days: readonly number[], oldest: number): number[] {
  let start = 0
  while (start < days.length && days[start]! < oldest) start += 2
  return days.slice(start)
}

function pushEvent(events: readonly MemberEvent[], e: MemberEvent): MemberEvent[] {
  const out = events.length >= MAX_EVENTS ? events.slice(events.length - MAX_EVENTS + 1) : [...events]
  out.push(e)
  return out
}

/** Where a row stands in a group (see MemberDirectory.membership). */
export function membershipOf(row: Readonly<MemberRow> | undefined, group: string): GroupMembership | undefined {
  if (!row) return undefined
  const mine = row.rooms.filter((s) => s.group === group)
  if (mine.length === 0) return undefined
  const inRooms = mine.filter((s) => s.in)
  // the room they are in (the latest joined), else the one they left last
  const pick = (inRooms.length > 0 ? inRooms : mine).reduce((a, b) => ((b.joinedAt ?? 0) > (a.joinedAt ?? 0) || (!a.in && (b.leftAt ?? 0) > (a.leftAt ?? 0)) ? b : a))
  const leftAt = mine.reduce<number | undefined>((m, s) => (s.leftAt !== undefined && (m === undefined || s.leftAt > m) ? s.leftAt : m), undefined)
  return compact({
    in: inRooms.length > 0,
    roomId: pick.room,
    joinedAt: pick.joinedAt,
    leftAt,
    inviterId: pick.inviterId,
    via: pick.via,
    joins: mine.reduce((n, s) => n + s.joins, 0),
  })
}
