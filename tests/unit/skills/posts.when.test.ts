import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { nextAt, occurrencesBetween, parseWhen, type When } from '../../../skills/posts/when.js'

/** The schedule forms of CONTRACT §10, in Asia/Shanghai and in a zone with DST. */
const SH = 'Asia/Shanghai'
const NY = 'America/New_York'
const at = (local: string, zone = SH) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone }).toMillis()
const local = (ms: number | undefined, zone = SH) => (ms === undefined ? undefined : DateTime.fromMillis(ms, { zone }).toFormat('yyyy-MM-dd ccc HH:mm'))

function when(text: string): When {
  const w = parseWhen(text)
  if ('error' in w) throw new Error(w.error)
  return w
}

const series = (text: string, from: string, n: number, zone = SH, skip?: Set<string>) => {
  const out: string[] = []
  let t = nextAt(when(text), zone, at(from, zone), skip)
  while (t !== undefined && out.length < n) {
    out.push(local(t, zone)!)
    t = nextAt(when(text), zone, t + 1, skip)
  }
  return out
}

describe('when: the Chinese forms', () => {
  it('每天 09:00: every day, today if it is still ahead', () => {
    // 2026-11-26 is a Thursday
    expect(series('每天 09:00', '2026-11-26 08:59', 3)).toEqual(['2026-11-26 Thu 09:00', '2026-11-27 Fri 09:00', '2026-11-28 Sat 09:00'])
    expect(series('每天 9:00', '2026-11-26 09:01', 1)).toEqual(['2026-11-27 Fri 09:00'])
  })

  it('工作日 10:30: Monday to Friday; 周末: Saturday and Sunday', () => {
    expect(series('工作日 10:30', '2026-11-27 11:00', 3)).toEqual(['2026-11-30 Mon 10:30', '2026-12-01 Tue 10:30', '2026-12-02 Wed 10:30'])
    expect(series('周末 10:00', '2026-11-26 00:00', 3)).toEqual(['2026-11-28 Sat 10:00', '2026-11-29 Sun 10:00', '2026-12-05 Sat 10:00'])
  })

  it('周一,周四 20:00 (and 、 or ，, 星期日/周日)', () => {
    expect(series('周一,周四 20:00', '2026-11-26 21:00', 3)).toEqual(['2026-11-30 Mon 20:00', '2026-12-03 Thu 20:00', '2026-12-07 Mon 20:00'])
    expect(series('星期三、周日 08:00', '2026-11-26 00:00', 2)).toEqual(['2026-11-29 Sun 08:00', '2026-12-02 Wed 08:00'])
    expect(series('周二，周六 08:00', '2026-11-26 00:00', 2)).toEqual(['2026-11-28 Sat 08:00', '2026-12-01 Tue 08:00'])
  })

  it('每月1日 10:00, several days, and month ends: 每月31日 is every month’s last day, 每月最后一天 too', () => {
    expect(series('每月1日 10:00', '2026-11-26 00:00', 3)).toEqual(['2026-12-01 Tue 10:00', '2027-01-01 Fri 10:00', '2027-02-01 Mon 10:00'])
    expect(series('每月1日,15日 10:00', '2026-11-26 00:00', 3)).toEqual(['2026-12-01 Tue 10:00', '2026-12-15 Tue 10:00', '2027-01-01 Fri 10:00'])
    expect(series('每月31日 20:00', '2027-01-01 00:00', 4)).toEqual(['2027-01-31 Sun 20:00', '2027-02-28 Sun 20:00', '2027-03-31 Wed 20:00', '2027-04-30 Fri 20:00'])
    // a leap year's February
    expect(series('每月最后一天 20:00', '2028-02-01 00:00', 2)).toEqual(['2028-02-29 Tue 20:00', '2028-03-31 Fri 20:00'])
    // 29日, 30日 and 31日 are one post on the 28th of February, not three
    expect(series('每月29日,30日,31日 09:00', '2027-02-01 00:00', 2)).toEqual(['2027-02-28 Sun 09:00', '2027-03-29 Mon 09:00'])
  })

  it('a date and time: once; past it, never again', () => {
    expect(series('2026-12-12 20:00', '2026-11-26 00:00', 3)).toEqual(['2026-12-12 Sat 20:00'])
    expect(nextAt(when('2026-12-12 20:00'), SH, at('2026-12-12 20:01'))).toBeUndefined()
  })

  it('a 5-field cron, read in the bot’s zone', () => {
    expect(series('30 8 * * 1-5', '2026-11-27 09:00', 2)).toEqual(['2026-11-30 Mon 08:30', '2026-12-01 Tue 08:30'])
    expect(series('0 */6 * * *', '2026-11-26 01:00', 3)).toEqual(['2026-11-26 Thu 06:00', '2026-11-26 Thu 12:00', '2026-11-26 Thu 18:00'])
  })

  it('skip dates take those days out', () => {
    expect(series('每天 09:00', '2027-01-27 00:00', 3, SH, new Set(['2027-01-28', '2027-01-29']))).toEqual(['2027-01-27 Wed 09:00', '2027-01-30 Sat 09:00', '2027-01-31 Sun 09:00'])
    expect(series('0 9 * * *', '2027-01-27 00:00', 2, SH, new Set(['2027-01-28']))).toEqual(['2027-01-27 Wed 09:00', '2027-01-29 Fri 09:00'])
  })

  it('Asia/Shanghai has no DST; in New York 09:00 stays 09:00 local across the change (and the UTC instant moves)', () => {
    const sh = occurrencesBetween(when('每天 09:00'), SH, at('2026-10-31 00:00', SH), at('2026-11-03 00:00', SH))
    expect(sh.map((t) => new Date(t).toISOString())).toEqual(['2026-10-31T01:00:00.000Z', '2026-11-01T01:00:00.000Z', '2026-11-02T01:00:00.000Z'])
    // US DST ends 2026-11-01 02:00
    const ny = occurrencesBetween(when('每天 09:00'), NY, at('2026-10-31 00:00', NY), at('2026-11-03 00:00', NY))
    expect(ny.map((t) => local(t, NY))).toEqual(['2026-10-31 Sat 09:00', '2026-11-01 Sun 09:00', '2026-11-02 Mon 09:00'])
    expect(ny.map((t) => new Date(t).toISOString())).toEqual(['2026-10-31T13:00:00.000Z', '2026-11-01T14:00:00.000Z', '2026-11-02T14:00:00.000Z'])
    // a time that does not exist on the spring-forward day (02:30 on 2027-03-14) is the first instant after the gap
    expect(series('每天 02:30', '2027-03-13 03:00', 2, NY)).toEqual(['2027-03-14 Sun 03:30', '2027-03-15 Mon 02:30'])
    // the same words are a different instant in each zone
    expect(nextAt(when('2026-12-12 20:00'), NY, 0)! - nextAt(when('2026-12-12 20:00'), SH, 0)!).toBe(13 * 3600_000)
  })

  it('says what is wrong, with the forms it knows', () => {
    const error = (t: string) => (parseWhen(t) as { error: string }).error
    expect(error('每天')).toMatch(/no time of day \(HH:mm\) at the end; use "每天 09:00"/)
    expect(error('每天 25:00')).toMatch(/25:00 is not a time of day/)
    expect(error('周八 10:00')).toMatch(/"周八" is not a day/)
    expect(error('每月32日 10:00')).toMatch(/"32日" is not a day of the month/)
    expect(error('61 * * * *')).toMatch(/not a valid cron expression/)
    expect(error('2026-02-30 10:00')).toMatch(/not a date and time/)
  })
})
