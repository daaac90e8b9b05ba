import { CronExpressionParser } from 'cron-parser'
import { DateTime } from 'luxon'

/**
 * When a post goes out (CONTRACT §10), as operators write it:
 *
 *   每天 09:00            every day
 *   工作日 10:30          Monday to Friday (public holidays and 调休 days: `skip` them / add a dated post)
 *   周末 10:00            Saturday and Sunday
 *   周一,周四 20:00        those weekdays (周一…周日 / 星期一…星期日; separated by , ， 、)
 *   每月1日 10:00         that day of every month; 每月1日,15日 several; a day a month does not
 *                         have is its last day (每月31日 is every month's end); 每月最后一天 too
 *   2026-12-12 20:00      once
 *   0 9 * * 1-5           a 5-field cron (minute hour day-of-month month day-of-week)
 *
 * Every time is a wall-clock time in `bot.timezone` (luxon does the zone's arithmetic: 09:00
 * stays 09:00 across a DST change; a time in a spring-forward gap is the first instant after it).
 * Hand-written, not a cron library alone: none reads these Chinese forms, and cron cannot say
 * "the month's last day". The cron form is cron-parser's.
 */
export type When =
  | { kind: 'days'; weekdays: ReadonlySet<number>; hour: number; minute: number; source: string }
  | { kind: 'monthly'; days: readonly number[]; last: boolean; hour: number; minute: number; source: string }
  | { kind: 'once'; local: string; source: string }
  | { kind: 'cron'; expr: string; source: string }

const WEEKDAY: Record<string, number> = { 一: 1, 二: 2, 三: 3, 四: 4, 五: 5, 六: 6, 日: 7, 天: 7, '1': 1, '2': 2, '3': 3, '4': 4, '5': 5, '6': 6, '7': 7 }
const ALL_DAYS = new Set([1, 2, 3, 4, 5, 6, 7])
const SEP = /\s*[,，、]\s*/

/** The forms, for error messages. */
export const WHEN_FORMS = '"每天 09:00", "工作日 10:30", "周末 10:00", "周一,周四 20:00", "每月1日 10:00", "每月最后一天 10:00", "2026-12-12 20:00", or a 5-field cron like "0 9 * * 1-5"'

export function parseWhen(text: string): When | { error: string } {
  const source = text.trim().replace(/\s+/g, ' ')
  const fail = (why: string) => ({ error: `when "${text}": ${why}; use ${WHEN_FORMS}` })
  const once = /^(\d{4}-\d{2}-\d{2}) (\d{1,2}):(\d{2})$/.exec(source)
  if (once) {
    const local = `${once[1]} ${once[2]!.padStart(2, '0')}:${once[3]}`
    if (!DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm').isValid) return fail('not a date and time')
    return { kind: 'once', local, source }
  }
  const fields = source.split(' ')
  if (fields.length === 5 && fields.every((f) => /^[\d*,/\-A-Za-z?LW#]+$/.test(f))) {
    try {
      CronExpressionParser.parse(source)
    } catch (err) {
      return fail(`not a valid cron expression (${(err as Error).message})`)
    }
    return { kind: 'cron', expr: source, source }
  }
  const m = /^(.+?) ?(\d{1,2}):(\d{2})$/.exec(source)
  if (!m) return fail('no time of day (HH:mm) at the end')
  const hour = Number(m[2])
  const minute = Number(m[3])
  if (hour > 23 || minute > 59) return fail(`${m[2]}:${m[3]} is not a time of day`)
  const days = m[1]!.trim()
  if (/^(每天|每日|天天)$/.test(days)) return { kind: 'days', weekdays: ALL_DAYS, hour, minute, source }
  if (/^(工作日|每个工作日|周一至周五|周一到周五)$/.test(days)) return { kind: 'days', weekdays: new Set([1, 2, 3, 4, 5]), hour, minute, source }
  if (/^(周末|每周末)$/.test(days)) return { kind: 'days', weekdays: new Set([6, 7]), hour, minute, source }
  if (/^每月/.test(days)) {
    const rest = days.slice(2)
    if (/^(最后一天|月底|末)$/.test(rest)) return { kind: 'monthly', days: [], last: true, hour, minute, source }
    const list = rest.split(SEP)
    const nums: number[] = []
    for (const d of list) {
      const n = /^(\d{1,2})[日号]?$/.exec(d)
      if (!n || Number(n[1]) < 1 || Number(n[1]) > 31) return fail(`"${d}" is not a day of the month (1日 to 31日)`)
      nums.push(Number(n[1]))
    }
    return { kind: 'monthly', days: [...new Set(nums)].sort((a, b) => a - b), last: false, hour, minute, source }
  }
  const weekdays = new Set<number>()
  for (const d of days.replace(/^每/, '').split(SEP)) {
    const n = /^(?:周|星期|礼拜)([一二三四五六日天1-7])$/.exec(d)
    if (!n) return fail(`"${d}" is not a day (每天, 工作日, 周末, 周一…周日, 每月N日)`)
    weekdays.add(WEEKDAY[n[1]!]!)
  }
  return { kind: 'days', weekdays, hour, minute, source }
}

/** `2026-11-27`: a local date, as `skip` lists them. */
export type LocalDate = string

/**
 * The first time of `when` at or after `from` (ms), in `zone`, whose local date is not in
 * `skipDates` and whose occurrence key is not in `skipKeys`; undefined when there is none
 * (a one-off in the past, or nothing within ~3 years).
 */
export function nextAt(when: When, zone: string, from: number, skipDates: ReadonlySet<LocalDate> = new Set(), skipKeys: ReadonlySet<string> = new Set()): number | undefined {
  const ok = (at: number): boolean => !skipDates.has(localDate(at, zone)) && !skipKeys.has(occurrenceKey(at, zone))
  if (when.kind === 'once') {
    const at = DateTime.fromFormat(when.local, 'yyyy-MM-dd HH:mm', { zone }).toMillis()
    return at >= from && ok(at) ? at : undefined
  }
  if (when.kind === 'cron') {
    const it = CronExpressionParser.parse(when.expr, { currentDate: new Date(from - 1), tz: zone })
    for (let i = 0; i < 5000; i++) {
      let at: number
      try {
        at = it.next().getTime()
      } catch {
        return undefined
      }
      if (at >= from && ok(at)) return at
    }
    return undefined
  }
  let day = DateTime.fromMillis(from, { zone }).startOf('day')
  for (let i = 0; i < 1200; i++, day = day.plus({ days: 1 })) {
    if (!matchesDay(when, day)) continue
    const at = day.set({ hour: when.hour, minute: when.minute, second: 0, millisecond: 0 }).toMillis()
    if (at >= from && ok(at)) return at
  }
  return undefined
}

/** Every time of `when` in [from, to), skips applied. */
export function occurrencesBetween(when: When, zone: string, from: number, to: number, skipDates?: ReadonlySet<LocalDate>, skipKeys?: ReadonlySet<string>): number[] {
  const out: number[] = []
  let at = nextAt(when, zone, from, skipDates, skipKeys)
  while (at !== undefined && at < to && out.length < 1000) {
    out.push(at)
    at = nextAt(when, zone, at + 1, skipDates, skipKeys)
  }
  return out
}

function matchesDay(when: Extract<When, { kind: 'days' | 'monthly' }>, day: DateTime): boolean {
  if (when.kind === 'days') return when.weekdays.has(day.weekday)
  const last = day.daysInMonth!
  if (when.last && day.day === last) return true
  // a day the month does not have (31日 in April) is the month's last day
  return when.days.some((d) => d === day.day || (d > last && day.day === last))
}

/** The local date of an instant, `2026-11-27`. */
export function localDate(at: number, zone: string): LocalDate {
  return DateTime.fromMillis(at, { zone }).toFormat('yyyy-MM-dd')
}

/** An occurrence's name in ids and logs: its local time, `2026-11-27 09:00`. */
export function occurrenceKey(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toFormat('yyyy-MM-dd HH:mm')
}
