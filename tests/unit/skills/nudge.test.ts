import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { NudgeSkill } from '../../../skills/nudge/index.js'
import { SKILLS } from '../../../skills/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import type { Member } from '../../../src/engine/Skill.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness, type Harness } from '../../helpers/harness.js'

const ZONE = 'Asia/Shanghai'
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: ZONE }).toMillis()

const yaml = (nudge = '{ silentDays: 14, report: weekly }') => `
bot: { timezone: ${ZONE}, admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      nudge: ${nudge}
`

// 2026-11-02 is a Monday
async function boot(opts: { nudge?: string; adapter?: MemoryAdapter; at?: string } = {}) {
  const clock = new FakeClock(sh(opts.at ?? '2026-11-02 09:00'))
  const h = await harness(yaml(opts.nudge), { skills: [NudgeSkill], clock, adapter: opts.adapter, roomsReady: false })
  const room = h.room('粉丝1群', 'room1@chatroom')
  const room2 = h.room('粉丝2群', 'room2@chatroom')
  h.engine.markRoomsReady()
  await h.flush()
  return { h, clock, room, room2 }
}

const people = (h: Harness, n: number, from = 1): Member[] => Array.from({ length: n }, (_, i) => h.member(`成员${from + i}`, `wxid_m${from + i}`))
const toAdmin = (h: Harness) => h.texts('wxid_boss')

describe('nudge: members silent for silentDays', () => {
  it('the weekly list goes privately to the admins: who went quiet, who never spoke; never the active, the admins or the newly known', async () => {
    const { h, clock, room, room2 } = await boot()
    const [a, b, c] = people(h, 3)
    await h.join(room, [a!, b!])
    await h.join(room2, [c!])
    await h.join(room, [h.member('Boss')])
    await h.say(room, a!, '早上好')
    await clock.advanceTo(sh('2026-11-10 12:00'))
    await h.say(room2, c!, '我还在')
    await clock.advanceTo(sh('2026-11-20 09:00'))
    const late = h.member('新人', 'wxid_new')
    await h.join(room, [late]) // joined 3 days before the report: not silent for 14 days
    // already in the room when the bot first listed it, 3 days before the report: it cannot tell yet
    h.engine.members.notePresent('fans', room, [h.member('老成员', 'wxid_old')], clock.now())
    await clock.advanceTo(sh('2026-11-23 10:00')) // a Monday
    await h.flush()
    // every Monday at 10:00 (the 2nd, 9th, 16th, 23rd); the last one:
    expect(toAdmin(h)).toHaveLength(4)
    expect(toAdmin(h)[0]).toBe('【沉默成员】fans · 14 天以上没在群里说话：0 人\n无\n不会因为沉默移出任何人。')
    expect(toAdmin(h).slice(-1)).toEqual([
      [
        '【沉默成员】fans · 14 天以上没在群里说话：2 人',
        '1. 成员1（粉丝1群，最后发言 11月2日）',
        '2. 成员2（粉丝1群，入群 11月2日 后没说过话）',
        '不会因为沉默移出任何人。',
      ].join('\n'),
    ])
    // privately only; no room hears of it without `remind`
    expect(h.sent.every((s) => s.to === 'wxid_boss')).toBe(true)
    expect(h.actions.calls).toEqual([])
  })

  it('daily: every day at `at`; a report due while the bot was down is sent when at most 3 hours late', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot({ adapter, nudge: '{ silentDays: 1, report: daily, at: "09:30" }' })
    await first.h.join(first.room, people(first.h, 1))
    await first.clock.advanceTo(sh('2026-11-03 09:30'))
    await first.h.flush()
    await first.clock.advanceTo(sh('2026-11-04 09:30'))
    await first.h.flush()
    expect(toAdmin(first.h)).toHaveLength(3) // the 2nd, 3rd and 4th at 09:30
    await first.h.store.durable()
    first.h.engine.stop()
    const second = await boot({ adapter, at: '2026-11-05 11:00', nudge: '{ silentDays: 1, report: daily, at: "09:30" }' })
    expect(toAdmin(second.h)).toHaveLength(1)
    const third = await boot({ adapter, at: '2026-11-06 13:00', nudge: '{ silentDays: 1, report: daily, at: "09:30" }' })
    expect(toAdmin(third.h)).toEqual([])
  })

  it('remind @s them in their room, at most max per room and week (durable), each once per silentDays; never removes anyone', async () => {
    const adapter = new MemoryAdapter()
    const nudge = '{ silentDays: 14, report: weekly, remind: { text: "{names} 好久不见～", max: 3 } }'
    const first = await boot({ adapter, nudge, at: '2026-11-03 09:00' })
    const quiet = people(first.h, 5)
    await first.h.join(first.room, quiet)
    await first.h.join(first.room2, people(first.h, 1, 9))
    // the 16th: silent 13 days, not yet; the 23rd: 20 days
    await first.clock.advanceTo(sh('2026-11-23 10:00'))
    await first.h.flush()
    const reminders = (h: Harness, roomId: string) => h.sent.filter((s) => s.to === roomId).map((s) => s.mentionIds)
    expect(reminders(first.h, first.room.id)).toEqual([['wxid_m1', 'wxid_m2', 'wxid_m3']])
    expect(reminders(first.h, first.room2.id)).toEqual([['wxid_m9']])
    expect(first.h.sent.find((s) => s.to === first.room.id)!.text).toBe('@成员1\u2005@成员2\u2005@成员3 好久不见～')
    await first.h.store.durable()
    first.h.engine.stop()

    // a second report in the same week (a restart moved the schedule): the week's count holds
    const second = await boot({ adapter, nudge: nudge.replace('weekly', 'daily'), at: '2026-11-24 09:00' })
    await second.clock.advanceTo(sh('2026-11-24 10:00'))
    await second.h.flush()
    expect(reminders(second.h, second.room.id)).toEqual([])
    await second.h.store.durable()
    second.h.engine.stop()

    // next week: the two not yet reminded; the three reminded are not @-ed again within 14 days
    const third = await boot({ adapter, nudge, at: '2026-11-30 09:00' })
    await third.clock.advanceTo(sh('2026-11-30 10:00'))
    await third.h.flush()
    expect(reminders(third.h, third.room.id)).toEqual([['wxid_m4', 'wxid_m5']])
    // 14 days after their reminder, still silent: reminded again
    await third.clock.advanceTo(sh('2026-12-07 10:00'))
    await third.h.flush()
    expect(reminders(third.h, third.room.id)).toEqual([['wxid_m4', 'wxid_m5'], ['wxid_m1', 'wxid_m2', 'wxid_m3']])
    expect(third.h.actions.calls.filter((c) => c.kind === 'remove')).toEqual([])
  })

  it('settings out of range are config errors at file:line:col', () => {
    expect(configErrors(yaml('{ silentDays: 0 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: silentDays must be above 0/)
    expect(configErrors(yaml('{ report: monthly }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: report is daily or weekly/)
    expect(configErrors(yaml('{ weekday: 8 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: weekday is 1 \(Monday\) to 7 \(Sunday\)/)
    expect(configErrors(yaml('{ remind: { max: 0 } }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: remind\.max must be above 0/)
    expect(configErrors(yaml('{ remind: { text: "{who}" } }'), SKILLS)[0]).toMatch(/unknown template variable \{who\}/)
  })
})
