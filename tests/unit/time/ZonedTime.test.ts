import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { parseDailyWindow, ZonedTime } from '../../../src/time/ZonedTime.js'

const BERLIN = 'Europe/Berlin'
const berlin = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: BERLIN }).toMillis()
const local = (ms: number) => DateTime.fromMillis(ms, { zone: BERLIN }).toFormat('yyyy-MM-dd HH:mm')

describe('ZonedTime: quiet hours on the days clocks change (Europe/Berlin, 23:00-07:00)', () => {
  const time = new ZonedTime(BERLIN)
  const quiet = parseDailyWindow('23:00-07:00')!

  // 2026-03-29: 02:00 → 03:00 (a 23-hour day); 2026-10-25: 03:00 → 02:00 (a 25-hour day)
  for (const day of ['2026-03-29', '2026-10-25']) {
    it(`ends at 07:00 wall-clock time on ${day}`, () => {
      for (const from of ['00:30', '01:59', '04:00', '05:00', '06:59']) {
        const at = berlin(`${day} ${from}`)
        expect(time.inWindow(at, quiet), from).toBe(true)
        expect(local(time.windowEnd(at, quiet)), from).toBe(`${day} 07:00`)
      }
      // from the evening before, across the change
      const before = DateTime.fromISO(day, { zone: BERLIN }).minus({ days: 1 }).toFormat('yyyy-MM-dd')
      expect(local(time.windowEnd(berlin(`${before} 23:30`), quiet))).toBe(`${day} 07:00`)
      // the hour that happens twice in autumn is inside the window both times
      expect(time.inWindow(berlin(`${day} 07:00`), quiet)).toBe(false)
    })
  }

  it('an end inside the spring gap is the first instant after it', () => {
    const w = parseDailyWindow('01:00-02:30')!
    expect(local(time.windowEnd(berlin('2026-03-29 01:30'), w))).toBe('2026-03-29 03:30')
  })

  it('an end at 24:00 is the next midnight, also on a 25-hour day', () => {
    const w = parseDailyWindow('20:00-24:00')!
    expect(local(time.windowEnd(berlin('2026-10-25 21:00'), w))).toBe('2026-10-26 00:00')
  })
})

describe('live: a reminder held by quiet hours on the days clocks change', () => {
  for (const day of ['2026-03-29', '2026-10-25']) {
    it(`a 4-hour reminder of a 09:00 live goes out at 07:00 on ${day}`, async () => {
      const { harness } = await import('../../helpers/harness.js')
      const { LiveSkill } = await import('../../../skills/live/index.js')
      const { FakeClock } = await import('../../../src/clock/FakeClock.js')
      const before = DateTime.fromISO(day, { zone: BERLIN }).minus({ days: 1 }).toFormat('yyyy-MM-dd')
      const clock = new FakeClock(berlin(`${before} 20:00`))
      const h = await harness(
        `
bot: { timezone: ${BERLIN}, admins: [wxid_boss], quietHours: "23:00-07:00" }
groups:
  - name: g
    match: { topic: "g*" }
    skills:
      live:
        lives: [{ id: m, title: 早场, start: "${day} 09:00" }]
        remind: [4h]
`,
        { skills: [LiveSkill], clock },
      )
      const room = h.room('g1')
      await clock.advanceTo(berlin(`${day} 10:00`))
      await h.flush()
      expect(h.sent.filter((s) => s.to === room.id).map((s) => [local(s.at), s.text.split(' ')[0]])).toEqual([
        [`${day} 07:00`, '【直播预告】早场'],
        [`${day} 09:00`, '【开播啦】早场'],
      ])
    })
  }
})
