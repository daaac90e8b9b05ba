import { DateTime } from 'luxon'
import type { Stats } from '../../engine/Stats.js'
import type { MemberBook } from '../../members/MemberBook.js'
import { dayNumber, type MemberRow } from '../../members/MemberRecord.js'
import { ZoneDays } from '../../members/ZoneDays.js'

const DAY = 86_400_000
const WEEK = 7 * DAY
/** The weeks after joining the cohort chart asks about. */
export const RETENTION_WEEKS = [1, 2, 4, 8] as const

export interface ChurnDay {
  day: string
  joins: number
  leaves: number
  net: number
  /** Members in a room of the group at the end of the day. */
  members: number
  /** Of them, silent for 7 (30) days or more by then (never spoke: in for that long). */
  silent7: number
  silent30: number
}

export interface Cohort {
  /** The Monday the week starts on, `YYYY-MM-DD` in bot.timezone. */
  week: string
  /** Members whose join into a room of the group fell in that week. */
  joined: number
  /** Of them, in the group 1, 2, 4 and 8 weeks after their join; null while that time has not come. */
  retained: Array<number | null>
}

/** Leaves within the hour after one bot message. */
export interface LeavesAfter {
  at: number
  roomId: string
  skill: string
  kind: string
  text?: string
  leaves: number
}

export interface Churn {
  group: string
  days: ChurnDay[]
  cohorts: Cohort[]
  afterBot: LeavesAfter[]
}

export interface ChurnDeps {
  book: MemberBook
  stats: Stats
  zone: string
  now: number
}

/**
 * 流失 for one group over the last `days` days (CONTRACT §11), read from what is kept anyway:
 * joins and leaves per day from the daily stats (what `#stats` and `/api/stats` count), and
 * from the member record the cohorts (when each member joined and whether they were still in
 * 1, 2, 4, 8 weeks later), the leaves that followed a bot message within the hour, and how
 * many members were silent ≥ 7 / 30 days at the end of each day (from messages per day; the
 * record keeps those `bot.privacy.retainDays` days). Weeks start on Monday, days at midnight,
 * both in bot.timezone — arithmetic on calendar days, so month and year ends are ordinary days.
 */
export function churnOf(d: ChurnDeps, group: string, days: number): Churn {
  const today = DateTime.fromMillis(d.now, { zone: d.zone }).startOf('day')
  const first = today.minus({ days: days - 1 })
  // day starts (and the end of the last day): instants found by binary search, not per event
  const starts: number[] = []
  const keys: string[] = []
  for (let i = 0; i <= days; i++) {
    const t = first.plus({ days: i })
    starts.push(t.toMillis())
    if (i < days) keys.push(t.toFormat('yyyy-MM-dd'))
  }
  const firstWeek = first.startOf('week')
  const weekStarts: number[] = []
  const weekKeys: string[] = []
  for (let w = firstWeek; w <= today; w = w.plus({ weeks: 1 })) {
    weekStarts.push(w.toMillis())
    weekKeys.push(w.toFormat('yyyy-MM-dd'))
  }
  const todayNumber = dayNumber(today.toFormat('yyyy-MM-dd'))
  const zoneDays = new ZoneDays(d.zone)
  const firstNumber = todayNumber - days + 1

  const counted = d.stats.perDay(group, keys)
  const members = new Array<number>(days).fill(0)
  const silent7 = new Array<number>(days).fill(0)
  const silent30 = new Array<number>(days).fill(0)
  const cohortJoined = new Array<number>(weekStarts.length).fill(0)
  const cohortKept = weekStarts.map(() => RETENTION_WEEKS.map(() => 0))
  const after = new Map<string, LeavesAfter>()

  d.book.rows.forEach((_id, row) => {
    if (!row.rooms.some((s) => s.group === group)) return
    const stays = intervals(row, group)
    if (stays.length === 0) return
    // cohorts: each member once per week, by their first join in it
    const seenWeeks = new Set<number>()
    for (const e of row.events) {
      if (e.group !== group) continue
      if (e.kind === 'leave' && e.after && e.at >= starts[0]!) {
        const key = `${e.room}\n${e.after.at}`
        const a = after.get(key) ?? { at: e.after.at, roomId: e.room ?? '', skill: e.after.skill, kind: e.after.kind, ...(e.after.text ? { text: e.after.text } : {}), leaves: 0 }
        a.leaves++
        after.set(key, a)
      }
      if (e.kind !== 'join' || e.at < weekStarts[0]!) continue
      const w = indexOf(weekStarts, e.at)
      if (w < 0 || seenWeeks.has(w)) continue
      seenWeeks.add(w)
      cohortJoined[w]!++
      RETENTION_WEEKS.forEach((k, i) => {
        const t = e.at + k * WEEK
        if (t <= d.now && inAt(stays, t)) cohortKept[w]![i]!++
      })
    }
    // members and the silent at the end of each day
    const act = row.activity.find((a) => a.group === group)
    const pairs = act?.days ?? []
    let p = 0
    let lastDay: number | undefined
    // no day kept (all older than retainDays): the day of the last message
    if (act && pairs.length === 0) lastDay = zoneDays.dayNumber(act.last)
    for (let i = 0; i < days; i++) {
      const dayNo = firstNumber + i
      while (p + 1 < pairs.length && pairs[p]! <= dayNo) {
        lastDay = pairs[p]!
        p += 2
      }
      const end = Math.min(starts[i + 1]! - 1, d.now)
      const since = stayStart(stays, end)
      if (since === undefined) continue
      members[i]!++
      // never spoke: silent since they came in (in the room when first listed: since then)
      const quietDays = lastDay !== undefined ? dayNo - lastDay : Math.floor((end - since) / DAY)
      if (quietDays >= 7) silent7[i]!++
      if (quietDays >= 30) silent30[i]!++
    }
  })

  return {
    group,
    days: keys.map((day, i) => {
      const s = counted.get(day) ?? {}
      const joins = s.joins ?? 0
      const leaves = s.leaves ?? 0
      return { day, joins, leaves, net: joins - leaves, members: members[i]!, silent7: silent7[i]!, silent30: silent30[i]! }
    }),
    cohorts: weekKeys.map((week, w) => ({
      week,
      joined: cohortJoined[w]!,
      // known once the whole week's joiners are k weeks in: the week's end plus k weeks
      retained: RETENTION_WEEKS.map((k, i) => (weekStarts[w]! + WEEK + k * WEEK <= d.now ? cohortKept[w]![i]! : null)),
    })),
    afterBot: [...after.values()].sort((a, b) => b.leaves - a.leaves || b.at - a.at).slice(0, 50),
  }
}

/** When the member was in a room of the group: [from, to) intervals, merged across rooms. */
export function intervals(row: MemberRow, group: string): Array<[number, number]> {
  const open = new Map<string, number>()
  const spans: Array<[number, number]> = []
  for (const e of row.events) {
    if (e.group !== group || !e.room) continue
    if (e.kind === 'join' || e.kind === 'present') {
      if (!open.has(e.room)) open.set(e.room, e.at)
    } else if (e.kind === 'leave') {
      const from = open.get(e.room)
      if (from !== undefined) spans.push([from, e.at])
      open.delete(e.room)
    }
  }
  for (const [room, from] of open) {
    // still in by the standing (the events may have been cut short: trust the standing)
    if (row.rooms.some((s) => s.room === room && s.in)) spans.push([from, Infinity])
  }
  spans.sort((a, b) => a[0] - b[0])
  const merged: Array<[number, number]> = []
  for (const s of spans) {
    const last = merged[merged.length - 1]
    if (last && s[0] <= last[1]) last[1] = Math.max(last[1], s[1])
    else merged.push([s[0], s[1]])
  }
  return merged
}

function inAt(stays: ReadonlyArray<[number, number]>, t: number): boolean {
  return stayStart(stays, t) !== undefined
}

/** The start of the stay that covers `t`, if any. */
function stayStart(stays: ReadonlyArray<[number, number]>, t: number): number | undefined {
  for (const [from, to] of stays) if (from <= t && t < to) return from
  return undefined
}

/** The index of the bucket (sorted starts) `t` falls in; -1 before the first. */
function indexOf(starts: readonly number[], t: number): number {
  let lo = 0
  let hi = starts.length - 1
  if (t < starts[0]!) return -1
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1
    if (starts[mid]! <= t) lo = mid
    else hi = mid - 1
  }
  return lo
}
