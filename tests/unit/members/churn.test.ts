import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { churnOf } from '../../../src/console/members/churn.js'
import { harness, type Harness } from '../../helpers/harness.js'

const DAY = 86_400_000
const WEEK = 7 * DAY

const YAML = `
bot:
  timezone: Asia/Shanghai
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills: {}
`

const churn = (h: Harness, days: number) => churnOf({ book: h.engine.members, stats: h.engine.stats, zone: h.engine.time.zone, now: h.clock.now() }, 'fans', days)

describe('churn arithmetic on the fake clock (weeks from Monday, days from midnight, in bot.timezone)', () => {
  it('cohorts across a month’s and a year’s end: who joined in week W and was still in 1, 2, 4, 8 weeks later', async () => {
    // Tuesday 2026-12-22 10:00 Shanghai
    const clock = new FakeClock(Date.UTC(2026, 11, 22, 2))
    const h = await harness(YAML, { clock })
    const room = h.room('粉丝1群')
    const [a, b, c, d, e] = ['A', 'B', 'C', 'D', 'E'].map((n) => h.member(n))
    // week of Mon 12-21: A and B join; B leaves after 10 days (in after 1 week, not after 2)
    await h.join(room, [a!, b!])
    // Sunday 12-27 23:30 is still that week; Monday 12-28 00:10 is the next (the year's last week)
    await clock.advanceTo(Date.UTC(2026, 11, 27, 15, 30))
    await h.join(room, [c!])
    await clock.advanceTo(Date.UTC(2026, 11, 27, 16, 10))
    await h.join(room, [d!])
    await clock.advanceTo(Date.UTC(2027, 0, 1, 2))
    await h.leave(room, [b!])
    // a join on 2027-01-31 and a leave across the month's end
    await clock.advanceTo(Date.UTC(2027, 0, 31, 2))
    await h.join(room, [e!])
    await clock.advanceTo(Date.UTC(2027, 1, 2, 2))
    await h.leave(room, [e!])
    // now: Monday 2027-03-01 10:00, ten weeks after the first joins
    await clock.advanceTo(Date.UTC(2027, 2, 1, 2))
    const ch = churn(h, 70)
    const week = (w: string) => ch.cohorts.find((x) => x.week === w)
    // A (in), B (left after 10 days), C (in): joined in the week of 12-21
    expect(week('2026-12-21')).toEqual({ week: '2026-12-21', joined: 3, retained: [3, 2, 2, 2] })
    // D joined at 00:10 on Monday 12-28: the next week, which spans the year's end
    expect(week('2026-12-28')).toEqual({ week: '2026-12-28', joined: 1, retained: [1, 1, 1, 1] })
    // E joined on Sunday 01-31 (the week of Monday 01-25) and left two days later, in February;
    // 8 weeks after that week's end (2027-03-29) has not come yet
    expect(week('2027-01-25')).toEqual({ week: '2027-01-25', joined: 1, retained: [0, 0, 0, null] })
    // the current week: nothing known yet
    expect(ch.cohorts.at(-1)).toEqual({ week: '2027-03-01', joined: 0, retained: [null, null, null, null] })
    // joins and leaves per day come from the daily stats, on the days in Shanghai
    const day = (k: string) => ch.days.find((x) => x.day === k)!
    expect(day('2026-12-27')).toMatchObject({ joins: 1, leaves: 0, net: 1 })
    expect(day('2026-12-28')).toMatchObject({ joins: 1, leaves: 0, net: 1 })
    expect(day('2027-01-01')).toMatchObject({ joins: 0, leaves: 1, net: -1, members: 3 })
    expect(day('2027-02-02')).toMatchObject({ leaves: 1, members: 3 })
    expect(ch.days.reduce((n, x) => n + x.joins - x.leaves, 0)).toBe(3)
  })

  it('the silent over time: a member is silent ≥ 7 days on the 7th day after their last message, until they speak', async () => {
    const clock = new FakeClock(Date.UTC(2027, 0, 30, 2)) // Saturday 2027-01-30 10:00
    const h = await harness(YAML, { clock })
    const room = h.room('粉丝1群')
    const a = h.member('A')
    await h.join(room, [a])
    await h.say(room, a, '在吗')
    await clock.advance(10 * DAY) // 02-09
    await h.say(room, a, '我又来了')
    await clock.advance(DAY) // 02-10
    const ch = churn(h, 13)
    const silent = Object.fromEntries(ch.days.map((x) => [x.day, x.silent7]))
    expect(silent['2027-02-05']).toBe(0) // 6 days after 01-30
    expect(silent['2027-02-06']).toBe(1) // 7 days, across the month's end
    expect(silent['2027-02-08']).toBe(1)
    expect(silent['2027-02-09']).toBe(0) // spoke
    expect(ch.days.every((x) => x.silent30 === 0)).toBe(true)
    expect(ch.days.find((x) => x.day === '2027-01-29')!.members).toBe(0)
    expect(ch.days.find((x) => x.day === '2027-01-30')!.members).toBe(1)
  })

  it('leaves within the hour after a bot message are grouped by that message', async () => {
    const h = await harness(`
bot:
  timezone: Asia/Shanghai
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { batchSeconds: 0, text: "欢迎 {names}" }
`)
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('A'), h.member('B'), h.member('C')])
    const said = h.clock.now()
    await h.clock.advance(10 * 60_000)
    await h.leave(room, [h.member('A')])
    await h.clock.advance(10 * 60_000)
    await h.leave(room, [h.member('B')])
    await h.clock.advance(2 * 3_600_000)
    await h.leave(room, [h.member('C')])
    expect(churn(h, 7).afterBot).toEqual([{ at: said, roomId: room.id, skill: 'welcome', kind: 'owed', leaves: 2 }])
  })
})
