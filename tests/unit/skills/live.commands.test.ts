import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { LiveSkill } from '../../../skills/live/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { harness, type Harness } from '../../helpers/harness.js'

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const config = (start = '2026-11-25 20:00') => `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
        lives: [{ id: d11, title: 双11返场直播, start: "${start}" }]
        remind: [10m]
  - name: lancome
    match: { topic: "兰蔻*" }
    skills:
      live: {}
`

async function setup() {
  const clock = new FakeClock(sh('2026-11-25 10:00:00'))
  const h = await harness(config(), { skills: [LiveSkill], clock })
  return { h, clock, sisley1: h.room('希思黎1群'), sisley2: h.room('希思黎2群'), lancome: h.room('兰蔻1群'), boss: h.member('Boss', 'wxid_boss') }
}

async function until(h: Harness, local: string): Promise<void> {
  await h.clock.advanceTo(sh(local))
  await h.flush()
}

const last = (h: Harness, roomId: string) => h.texts(roomId).at(-1)

describe('#live (admins)', () => {
  it('add schedules a live for the room’s group, replies with its id, and reminds every room of that group', async () => {
    const { h, sisley1, sisley2, lancome, boss } = await setup()
    await h.say(sisley1, boss, '#live add 2026-11-26 20:00 新品 首发 直播 https://example.invalid/new')
    expect(last(h, sisley1.id)).toBe('已添加直播 a1：11月26日 20:00 新品 首发 直播 https://example.invalid/new\n取消：#live cancel a1')
    await until(h, '2026-11-26 20:00:00')
    for (const room of [sisley1, sisley2]) {
      expect(h.texts(room.id)).toContain('【直播预告】新品 首发 直播 10分钟后开播（11月26日 20:00）\nhttps://example.invalid/new')
      expect(h.texts(room.id)).toContain('【开播啦】新品 首发 直播 https://example.invalid/new')
    }
    // the other group never hears of it
    expect(h.texts(lancome.id)).toEqual([])
  })

  it('add takes an ISO time with its offset, and a full-width colon', async () => {
    const { h, sisley1, boss } = await setup()
    await h.say(sisley1, boss, '#live add 2026-11-26T12:00:00Z 午间场')
    expect(last(h, sisley1.id)).toMatch(/^已添加直播 a1：11月26日 20:00 午间场/)
    await h.say(sisley1, boss, '#live add 2026-11-27 20：30 晚间场')
    expect(last(h, sisley1.id)).toMatch(/^已添加直播 a2：11月27日 20:30 晚间场/)
  })

  it('list shows the group’s upcoming lives, config and added, soonest first, with ids', async () => {
    const { h, sisley1, lancome, boss } = await setup()
    await h.say(sisley1, boss, '#live add 2026-11-27 20:00 周末场')
    await h.say(sisley1, boss, '#live add 2026-11-25 15:00 下午场')
    await h.say(sisley1, h.member('Alice'), '预约') // the next one: 下午场
    await h.say(sisley1, boss, '#live list')
    expect(last(h, sisley1.id)).toBe(
      '本群待开播的直播（3）：\n' +
        'a2 · 11月25日 15:00 下午场（命令添加，预约 1 人）\n' +
        'd11 · 11月25日 20:00 双11返场直播（配置，预约 0 人）\n' +
        'a1 · 11月27日 20:00 周末场（命令添加，预约 0 人）',
    )
    await until(h, '2026-11-25 16:00:00')
    await h.say(sisley1, boss, '#live list')
    expect(last(h, sisley1.id)).not.toContain('下午场')
    await h.say(lancome, boss, '#live list')
    expect(last(h, lancome.id)).toBe('本群暂时没有待开播的直播')
  })

  it('cancel stops an added live’s reminders and start message', async () => {
    const { h, sisley1, boss } = await setup()
    await h.say(sisley1, boss, '#live add 2026-11-26 20:00 新品首发')
    await h.say(sisley1, boss, '#live cancel a1')
    expect(last(h, sisley1.id)).toBe('已取消直播 a1：新品首发，提醒不再发送')
    await until(h, '2026-11-27 00:00:00')
    expect(h.texts(sisley1.id).filter((t) => t.startsWith('【') && t.includes('新品首发'))).toEqual([])
    // the config live of the same group is untouched
    expect(h.texts(sisley1.id).filter((t) => t.startsWith('【'))).toHaveLength(2)
    await h.say(sisley1, boss, '#live cancel a1')
    expect(last(h, sisley1.id)).toMatch(/^没有编号为 a1 的直播/)
  })

  it('cancel of a config live holds across reloads until the config changes its start', async () => {
    const { h, sisley1, boss } = await setup()
    await h.say(sisley1, boss, '#live cancel D11') // ids are matched without case when unambiguous
    expect(last(h, sisley1.id)).toMatch(/^已取消直播 d11：双11返场直播/)
    await h.say(sisley1, boss, '#reload')
    await until(h, '2026-11-25 21:00:00')
    expect(h.texts(sisley1.id).filter((t) => t.startsWith('【'))).toEqual([])

    h.setReloadYaml(config('2026-11-26 20:00'))
    await h.say(sisley1, boss, '#reload')
    await until(h, '2026-11-26 20:00:00')
    expect(h.texts(sisley1.id).filter((t) => t.startsWith('【'))).toEqual([
      '【直播预告】双11返场直播 10分钟后开播（11月26日 20:00）',
      '【开播啦】双11返场直播',
    ])
  })

  it('a malformed command gets the usage line', async () => {
    const { h, sisley1, boss } = await setup()
    const usage = '用法：#live add <YYYY-MM-DD HH:mm> <标题> [链接] · list · cancel <编号>'
    for (const [cmd, problem] of [
      ['#live', ''],
      ['#live start', '没有「start」这个子命令\n'],
      ['#live add 明天 20:00 新品', '开播时间要写成 2026-11-25 20:00\n'],
      ['#live add 2026-11-26 25:00 新品', '开播时间要写成 2026-11-25 20:00\n'],
      ['#live add 2026-11-26 20:00', '缺少直播标题\n'],
      ['#live add 2026-11-24 20:00 昨天', '2026-11-24 20:00 已经过去了\n'],
      ['#live cancel', '要取消哪一场？写上编号（#live list 可查）\n'],
    ]) {
      await h.say(sisley1, boss, cmd!)
      expect(last(h, sisley1.id), cmd).toBe(`${problem}${usage}`)
    }
    await h.say(sisley1, boss, '#live list')
    expect(last(h, sisley1.id)).toMatch(/^本群待开播的直播（1）/)
  })

  it('a non-admin gets nothing, and nothing changes', async () => {
    const { h, sisley1, boss } = await setup()
    const alice = h.member('Alice')
    await h.say(sisley1, alice, '#live add 2026-11-26 20:00 新品首发')
    await h.say(sisley1, alice, '#live cancel d11')
    await h.say(sisley1, alice, '#live list')
    expect(h.sent).toEqual([])
    await h.say(sisley1, boss, '#live list')
    expect(last(h, sisley1.id)).toBe('本群待开播的直播（1）：\nd11 · 11月25日 20:00 双11返场直播（配置，预约 0 人）')
  })
})
