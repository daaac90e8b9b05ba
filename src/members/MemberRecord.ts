/**
 * The member record (CONTRACT §11): what the bot keeps per contact, written by the engine in
 * the same store commit as the event that changed it. One row per contact in a bucketed table
 * (`core/members/rows/<bucket>/<id>`); see MemberBook for how it is written and read.
 *
 * What is NOT here, on purpose: points, orders, strikes, hand-offs and tags have their own
 * records (PointsBook's ledger, the shop's orders, guard's book, the hand-off inbox, the
 * TagBook). A member's timeline is composed from those at read time (src/console/members/timeline.ts),
 * so there is no second copy that could disagree with them.
 */

/** Where a member stands in one room of a group. */
export interface RoomStanding {
  room: string
  /** The group the room belonged to when last seen (a reload can move a room; reconciling corrects it). */
  group: string
  in: boolean
  /** The latest join; absent when the member was already in the room when the bot first listed it. */
  joinedAt?: number
  leftAt?: number
  /** Who added them (the room-join inviter), when it was a member and not the bot. */
  inviterId?: string
  /** The gate keyword whose invite brought them in. */
  via?: string
  /** Joins into this room the bot has seen. */
  joins: number
  /** The latest join or leave was found by comparing the room's member list, within [from, to]. */
  found?: { from?: number; to: number }
}

/** A member's messages in one group: counts only, never the text. */
export interface GroupActivity {
  group: string
  /** The last message in the group (epoch ms). */
  last: number
  /**
   * Messages per day as flat pairs `[day, count, day, count, …]`, oldest first; `day` is the
   * calendar day in bot.timezone as a day number (see dayNumber). Days older than
   * `bot.privacy.retainDays` are dropped.
   */
  days: number[]
}

/** The bot's message a leave followed within the hour (what may have driven them out). */
export interface BotMessageRef {
  at: number
  /** The skill that said it (`posts`, `live`, `checkin`…). */
  skill: string
  kind: string
  /** The beginning of a scheduled text (operators' own posts and reminders); never a reply's text. */
  text?: string
}

export type MemberEventKind = 'join' | 'leave' | 'present' | 'name' | 'untag'

/**
 * One of the member's own events — the ones no other record keeps: joins and leaves,
 * "already in the room when first listed", a new name, a tag taken away.
 */
export interface MemberEvent {
  at: number
  kind: MemberEventKind
  group?: string
  room?: string
  /** join: who added them; leave: who removed them (the bot's removals say `bot`). */
  by?: string
  /** join: the gate keyword. */
  via?: string
  /** join/leave found by reconciling: it happened between `from` (unknown if absent) and `at`. */
  found?: boolean
  from?: number
  /** name: the new name. */
  name?: string
  /** untag: the tag, its source, when it had been given and who took it away. */
  tag?: string
  source?: string
  since?: number
  /** leave: the bot message in that room within the hour before. */
  after?: BotMessageRef
}

/** A gate invite waiting for its join: the join that comes within a day is `via` the keyword. */
export interface ExpectedJoin {
  group: string
  via: string
  at: number
}

export interface MemberRow {
  /** The display name last seen (room alias first, else the WeChat name). */
  name: string
  /** Every distinct name seen (nicknames and room aliases), oldest first, at most MAX_NAMES. */
  names: string[]
  /** When the bot first knew them. */
  seen: number
  /** The last message anywhere. */
  lastActive?: number
  rooms: RoomStanding[]
  activity: GroupActivity[]
  /** Oldest first, at most MAX_EVENTS (the oldest go first). */
  events: MemberEvent[]
  expect?: ExpectedJoin[]
  /**
   * Adopted from the points and tags of a version without the record (src/members/upgrade.ts):
   * where they are is not known until the first read of their rooms, so the retention rule
   * counts from this, not from their oldest tag or check-in.
   */
  adoptedAt?: number
}

export const MAX_NAMES = 20
export const MAX_EVENTS = 200
/** An expected gate join counts this long (as gate's pending invite). */
export const EXPECT_MS = 24 * 3600_000

/** A calendar day (`2026-11-26`) as a whole number of days since 1970-01-01. */
export function dayNumber(dayKey: string): number {
  const y = Number(dayKey.slice(0, 4))
  const m = Number(dayKey.slice(5, 7))
  const d = Number(dayKey.slice(8, 10))
  return Math.round(Date.UTC(y, m - 1, d) / 86_400_000)
}

/** The calendar day of a day number, `2026-11-26`. */
export function dayKeyOf(n: number): string {
  return new Date(n * 86_400_000).toISOString().slice(0, 10)
}

/** Add one message on `day` to flat day pairs, dropping days before `oldest`. A new array. */
export function addDay(days: readonly number[], day: number, oldest: number): number[] {
  let start = 0
  while (start < days.length && days[start]! < oldest) start += 2
  const out = days.slice(start)
  const last = out.length - 2
  if (last >= 0 && out[last] === day) out[last + 1] = out[last + 1]! + 1
  else out.push(day, 1)
  return out
}

/** Messages on each day of a group's activity, as [day, count] pairs. */
export function* dayCounts(days: readonly number[]): Generator<[number, number]> {
  for (let i = 0; i + 1 < days.length; i += 2) yield [days[i]!, days[i + 1]!]
}

/** Drop undefined fields (the memory adapter keeps them; files would not). */
export function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k]
  return o
}
