import { DateTime } from 'luxon'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { LiveSkill } from '../../../skills/live/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { harness, type Harness } from '../../helpers/harness.js'

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()
const hhmm = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Shanghai' }).toFormat('HH:mm')

const config = (quiet: string) => `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss]${quiet ? `, quietHours: "${quiet}"` : ''} }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
        lives: [{ id: m, title: 早场, start: "2026-11-26 08:30" }]
        remind: [1h, 10m]
`

async function setup() {
  const clock = new FakeClock(sh('2026-11-25 22:00:00'))
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  const h = await harness(config('23:00-08:00'), { skills: [LiveSkill], clock, log })
  return { h, lines, room: h.room('希思黎1群'), boss: h.member('boss', 'wxid_boss') }
}

const at = async (h: Harness, local: string) => {
  await h.clock.advanceTo(sh(local))
  await h.flush()
}
const reminders = (h: Harness, roomId: string) => h.sent.filter((s) => s.to === roomId && s.text.startsWith('【直播预告】')).map((s) => [hhmm(s.at), s.text])

describe('live: quiet hours changed by a reload', () => {
  it('removing quietHours releases a held reminder at once', async () => {
    const { h, room, boss, lines } = await setup()
    await at(h, '2026-11-26 07:40:00')
    expect(lines.some((l) => l.msg === 'reminder held by quiet hours')).toBe(true)
    expect(reminders(h, room.id)).toEqual([])

    h.setReloadYaml(config(''))
    await h.say(room, boss, '#reload')
    await h.flush()
    expect(reminders(h, room.id)).toEqual([['07:40', '【直播预告】早场 50分钟后开播（11月26日 08:30）']])
    expect(lines.some((l) => l.msg === 'quiet hours no longer hold this reminder; released')).toBe(true)
    // released, not duplicated: the window's end passes quietly, the next reminder comes on time
    await at(h, '2026-11-26 08:25:00')
    expect(reminders(h, room.id)).toEqual([
      ['07:40', '【直播预告】早场 50分钟后开播（11月26日 08:30）'],
      ['08:20', '【直播预告】早场 10分钟后开播（11月26日 08:30）'],
    ])
  })

  it('moving the window re-plans the held reminder for the new end; an unchanged reload keeps holding it', async () => {
    const { h, room, boss } = await setup()
    await at(h, '2026-11-26 07:35:00')
    await h.say(room, boss, '#reload') // same config
    await at(h, '2026-11-26 07:45:00')
    expect(reminders(h, room.id)).toEqual([])
    h.setReloadYaml(config('23:00-07:50'))
    await h.say(room, boss, '#reload')
    await at(h, '2026-11-26 07:49:59')
    expect(reminders(h, room.id)).toEqual([])
    await at(h, '2026-11-26 07:50:00')
    expect(reminders(h, room.id)).toEqual([['07:50', '【直播预告】早场 40分钟后开播（11月26日 08:30）']])
  })
})
