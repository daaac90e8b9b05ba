import { DateTime, IANAZone } from 'luxon'

/** Time as the group sees it: every day boundary and every time shown is in `bot.timezone`. */
export class ZonedTime {
  // Every message asks for "today" (stats, check-ins); time-zone arithmetic is costly
  // (Intl formatting), so the current day's bounds are kept and reused until it ends.
  private today: { start: number; end: number; key: string; previous?: string } | undefined

  constructor(readonly zone: string) {}

  static isValidZone(zone: string): boolean {
    return IANAZone.isValidZone(zone)
  }

  private dt(ms: number): DateTime {
    return DateTime.fromMillis(ms, { zone: this.zone })
  }

  /** The calendar day of an instant, `2026-11-26`. */
  dayKey(ms: number): string {
    const t = this.today
    if (t && ms >= t.start && ms < t.end) return t.key
    const start = this.dt(ms).startOf('day')
    // a DST day is 23 or 25 hours: the next midnight is asked of the zone, not assumed
    this.today = { start: start.toMillis(), end: start.plus({ days: 1 }).toMillis(), key: start.toFormat('yyyy-MM-dd') }
    return this.today.key
  }

  /** The day before `day` (a dayKey). */
  previousDay(day: string): string {
    const t = this.today
    if (t?.key === day && t.previous) return t.previous
    const previous = DateTime.fromISO(day, { zone: this.zone }).minus({ days: 1 }).toFormat('yyyy-MM-dd')
    if (t?.key === day) t.previous = previous
    return previous
  }

  /** `11月25日 20:00` (the form used in chat). */
  format(ms: number): string {
    return this.dt(ms).toFormat("M'月'd'日' HH:mm")
  }

  /** `2026-11-25 20:00` (the form used in the config and commands). */
  formatLocal(ms: number): string {
    return this.dt(ms).toFormat('yyyy-MM-dd HH:mm')
  }

  /**
   * A time from the config or a command: `YYYY-MM-DD HH:mm` in this zone, or ISO 8601 with an
   * offset. Undefined when it is neither.
   */
  parse(text: string): number | undefined {
    const s = text.trim()
    const local = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm', { zone: this.zone })
    if (local.isValid) return local.toMillis()
    // with seconds: what a browser's time picker gives (the console)
    const withSeconds = DateTime.fromFormat(s, 'yyyy-MM-dd HH:mm:ss', { zone: this.zone })
    if (withSeconds.isValid) return withSeconds.toMillis()
    if (/([+-]\d{2}:?\d{2}|Z)$/.test(s)) {
      const iso = DateTime.fromISO(s, { setZone: true })
      if (iso.isValid) return iso.toMillis()
    }
    return undefined
  }

  /** Minutes since local midnight. */
  minuteOfDay(ms: number): number {
    const d = this.dt(ms)
    return d.hour * 60 + d.minute
  }

  /** Is `ms` inside a daily window (which may cross midnight)? */
  inWindow(ms: number, window: DailyWindow): boolean {
    const m = this.minuteOfDay(ms)
    return window.from <= window.to ? m >= window.from && m < window.to : m >= window.from || m < window.to
  }

  /**
   * The next instant after `ms` when the window ends: its end as a wall-clock time in this
   * zone (07:00 is 07:00 also on a 23- or 25-hour day, never "7 hours after midnight"). An end
   * that falls into a spring-forward gap is the first instant after the gap.
   */
  windowEnd(ms: number, window: DailyWindow): number {
    const at = (day: DateTime): DateTime =>
      window.to === 24 * 60
        ? day.startOf('day').plus({ days: 1 })
        : day.set({ hour: Math.floor(window.to / 60), minute: window.to % 60, second: 0, millisecond: 0 })
    const today = this.dt(ms)
    let d = at(today)
    if (d.toMillis() <= ms) d = at(today.startOf('day').plus({ days: 1 }))
    return d.toMillis()
  }
}

/** A daily window in minutes since midnight, `to` exclusive; `from > to` crosses midnight. */
export interface DailyWindow {
  from: number
  to: number
  source: string
}

export function parseDailyWindow(text: string): DailyWindow | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(text)
  if (!m) return undefined
  const [h1, m1, h2, m2] = [m[1], m[2], m[3], m[4]].map(Number) as [number, number, number, number]
  if (h1 > 23 || h2 > 24 || m1 > 59 || m2 > 59 || (h2 === 24 && m2 !== 0)) return undefined
  const from = h1 * 60 + m1
  const to = h2 * 60 + m2
  if (from === to) return undefined
  return { from, to, source: text.trim() }
}
