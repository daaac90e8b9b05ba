import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { harness } from '../../helpers/harness.js'

/**
 * The skills declare what they say (owed / info / scheduled), and the send queue does the
 * rest: these drive the real engine, skills and queue under tight limits on the fake clock.
 */
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const CONFIG = `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      checkin: {}
      live:
        lives: [{ id: d11, title: 双11返场直播, start: "2026-11-25 20:00" }]
        remind: [10m]
      autoreply:
        rules:
          - keywords: [发货]
            reply: 下单后 48 小时内发货
`

async function setup(limits = { roomPerMinute: 2, totalPerMinute: 60 }) {
  const clock = new FakeClock(sh('2026-11-25 19:00:00'))
  const h = await harness(CONFIG, { clock, limits })
  return { h, clock, room: h.room('希思黎1群'), other: h.room('希思黎2群'), boss: h.member('Boss', 'wxid_boss') }
}

describe('skills under a rush', () => {
  it('the live list asked by ten members while the room is backlogged goes out once, naming them', async () => {
    const { h, clock, room } = await setup()
    const members = Array.from({ length: 10 }, (_, i) => h.member(`会员${i}`, `wxid_m${i}`))
    // two check-ins use the room's two messages of this minute
    await h.say(room, members[0]!, '签到')
    await h.say(room, members[1]!, '签到')
    for (const m of members) await h.say(room, m, '直播预告')
    await clock.advance(3 * 60_000)
    const lists = h.sent.filter((s) => s.text.includes('双11返场直播（编号 d11）'))
    expect(lists).toHaveLength(1)
    expect(lists[0]!.mentionIds).toEqual(members.map((m) => m.id))
    expect(lists[0]!.text.startsWith('@会员0\u2005@会员1\u2005')).toBe(true)
  })

  it('check-in confirmations go before the answers asked earlier, merged into one message', async () => {
    const { h, clock, room } = await setup({ roomPerMinute: 1, totalPerMinute: 60 })
    const a = h.member('Alice')
    await h.say(room, a, '签到') // takes this minute's message
    const askers = Array.from({ length: 5 }, (_, i) => h.member(`问${i}`, `wxid_q${i}`))
    for (const m of askers) await h.say(room, m, '积分榜')
    for (const m of askers) await h.say(room, m, '发货了吗')
    for (const m of askers) await h.say(room, m, '签到')
    await clock.advance(61_000)
    // the second message of the room: the five confirmations (and, filling it, the keyword answer)
    const second = h.texts(room.id)[1]!
    expect(second.split('\n').slice(0, 5).map((l) => l.split(' ')[0])).toEqual(askers.map((m) => m.name))
    expect(second).toContain('签到成功')
    expect(second).toContain('下单后 48 小时内发货')
    // the leaderboard (asked first, one message of its own) waits: at one message a minute it
    // is still waiting at 2 minutes, and is dropped rather than sent late
    await clock.advance(2 * 60_000)
    expect(h.sent.filter((s) => s.text.includes('积分榜 TOP10'))).toEqual([])
    expect(h.queue.stats.droppedByCause.expired).toBe(1)
  })

  it('an answer that could not go out within 2 minutes is dropped and shown in #stats', async () => {
    const { h, clock, room, boss } = await setup({ roomPerMinute: 1, totalPerMinute: 60 })
    const m = h.member('Alice')
    await h.say(room, m, '签到')
    // unmergeable, distinct informational replies: one a minute can go out
    for (let i = 0; i < 4; i++) {
      await h.say(room, h.member(`成员${i}`, `wxid_c${i}`), '我的积分')
      await h.say(room, h.member(`成员${i}`, `wxid_c${i}`), '积分榜')
    }
    await clock.advance(5 * 60_000)
    const reply = h.say(room, boss, '#stats')
    await clock.advance(60_000)
    await reply
    expect(h.texts(room.id).at(-1)).toMatch(/高峰时未能及时发出而放弃的回复 \d+/)
  })

  it('#live cancel withdraws that live’s reminder still waiting in the send queue', async () => {
    const { h, clock, room, other, boss } = await setup({ roomPerMinute: 1, totalPerMinute: 60 })
    await clock.advanceTo(sh('2026-11-25 19:49:50'))
    await h.say(room, h.member('Alice'), '签到') // this room's message of the minute
    await clock.advanceTo(sh('2026-11-25 19:50:05'))
    await h.flush()
    // the reminder went out in the other room; in this one it waits for the next minute
    expect(h.texts(other.id)).toEqual(['【直播预告】双11返场直播 10分钟后开播（11月25日 20:00）'])
    expect(h.texts(room.id).some((t) => t.includes('【直播预告】'))).toBe(false)
    const cancelled = h.say(room, boss, '#live cancel d11')
    await clock.advance(5 * 60_000)
    await cancelled
    expect(h.texts(room.id).at(-1)).toMatch(/^已取消直播 d11/)
    await clock.advanceTo(sh('2026-11-25 20:30:00'))
    expect(h.texts(room.id).filter((t) => t.includes('【'))).toEqual([])
    expect(h.queue.stats.droppedByCause.withdrawn).toBe(1)
  })
})
