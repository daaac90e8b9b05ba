import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { types } from 'wechaty'
import { BotWorld, useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const ZONE = 'Asia/Shanghai'

const CHAIN_CONFIG = `bot:
  timezone: ${ZONE}
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      chain: {}
      checkin: { activity: { points: 1, minLength: 5, cooldown: 60s, dailyCap: 10 } }
`

describe('接龙 (chain), end to end over wechaty-puppet-service (gRPC)', () => {
  const used = useBotWorld('e2e-chain', CHAIN_CONFIG)

  it('30 joiners with a limit of 20 arrive as a few merged messages, 10 wait, a cancel promotes the first and @s them', async () => {
    const { svc, bot } = used
    const boss = svc.contact('老板', 'wxid_boss')
    const joiners = Array.from({ length: 30 }, (_, i) => svc.contact(`会员${String(i + 1).padStart(2, '0')}`, `wxid_j${i + 1}`))
    const room = svc.room('粉丝1群', [boss, ...joiners])
    boss.say('#接龙 周六烘焙课 限20人').to(room)
    await svc.waitForText(room, '【接龙】周六烘焙课（限 20 人）')
    const opened = svc.textsIn(room).length
    for (const j of joiners) j.say('接龙').to(room)

    const confirmations = () => svc.textsIn(room).slice(opened)
    const named = (name: string) => confirmations().join('\n').includes(name)
    await waitFor(() => joiners.every((j) => named(j.payload.name)), { timeoutMs: 30_000, what: 'every joiner confirmed' })
    // joins confirmed together: a few messages, never one per joiner
    expect(confirmations().length).toBeLessThanOrEqual(3)
    const all = confirmations().join('\n')
    expect(all).toContain('接龙「周六烘焙课」+20：')
    expect(all).toContain('（共 20/20 人）')
    expect(all).toContain('候补共 10 人')
    // each name said once
    for (const j of joiners) expect(all.split(j.payload.name).length - 1).toBe(1)

    boss.say('接龙名单').to(room)
    const list = await svc.waitForText(room, '共 20/20 人 · 候补 10 人')
    expect(list.split('\n').slice(0, 2)).toEqual(['【接龙】周六烘焙课（限 20 人）', '1. 会员01'])
    expect(list).toContain('候补：\n1. 会员21\n')

    // WeChat's own group-note (接龙) message: the sender joins (on the waitlist now)
    const late = svc.contact('晚来的', 'wxid_late')
    room.payload.memberIdList.push(late.id)
    const note = svc.mocker.MessageMock.create({
      id: 'groupnote-1',
      talkerId: late.id,
      roomId: room.id,
      mentionIdList: [],
      timestamp: Date.now(),
      type: types.Message.GroupNote,
      text: '#接龙\n周六烘焙课\n1. 会员01\n2. 晚来的 带朋友',
    } as never)
    svc.puppet.emit('message', { messageId: note.id })
    await svc.waitForText(room, /晚来的（带朋友）/)

    joiners[0]!.say('取消接龙').to(room)
    const promoted = await svc.waitForText(room, '候补转正')
    expect(promoted).toContain('已退出接龙「周六烘焙课」：会员01')
    expect(promoted).toContain('@会员21 候补转正')
    expect(svc.said.find((s) => s.text === promoted)?.mentionIds).toEqual(['wxid_j21'])
    // the chain's commands earned nobody activity points (a chain word is no chat)
    await bot.waitForLog((l) => l.msg === 'chain cancel', 'the cancel handled')
    expect(bot.logs.filter((l) => l.msg === 'activity points')).toEqual([])
  }, 90_000)
})

const INVITE_DIGEST_CONFIG = `bot:
  timezone: ${ZONE}
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      digest: { at: "22:00" }
      checkin: { invites: { points: 20, keepDays: 7 } }
`

/**
 * Days pass for the real process through SIYU_TEST_CLOCK_OFFSET (the bot's clock moved, for
 * tests only): one run on a day D at 10:00, one at 22:00 that day, one a week later.
 */
describe('invite points and the daily digest, end to end over gRPC (days pass by a clock offset)', () => {
  let world: BotWorld
  beforeAll(async () => {
    world = await BotWorld.create('e2e-engage', INVITE_DIGEST_CONFIG)
  }, 60_000)
  afterAll(async () => world?.close())

  const day = DateTime.now().setZone(ZONE).plus({ days: 2 }).startOf('day')
  const offsetTo = (t: DateTime): string => String(Math.round(t.toMillis() - Date.now()))

  it('the digest reaches the admins and no room; the inviter gets the points once the invitee stayed 7 days', async () => {
    const svc = world.svc
    const boss = svc.contact('老板', 'wxid_boss')
    const alice = svc.contact('Alice', 'wxid_alice')
    const room = svc.room('粉丝1群', [boss, alice])

    // day D, 10:00: the room is told about the digest once; a question; Alice adds a friend
    let bot = await world.startBot({ env: { SIYU_TEST_CLOCK_OFFSET: offsetTo(day.set({ hour: 10 })) } })
    await svc.waitForText(room, '本群已开启每日摘要')
    alice.say('请问黑玫瑰精华什么时候发货？').to(room)
    const friend = svc.contact('小新', 'wxid_friend')
    room.add(friend).by(alice)
    await bot.waitForLog((l) => l.msg === 'invite noted' && l.invitee === 'wxid_friend' && l.inviter === 'wxid_alice', 'the invite noted')
    await bot.waitForLog((l) => l.msg === 'members changed', 'the join handled')
    expect(await bot.stop()).toBe(0)

    // day D, 22:00:20: the digest fell due 20 s before this start: sent late (within 3 hours), privately
    bot = await world.startBot({ env: { SIYU_TEST_CLOCK_OFFSET: offsetTo(day.set({ hour: 22, second: 20 })) } })
    const digest = await svc.waitForPrivate(boss, '【每日摘要】fans')
    expect(digest).toMatch(/成员提问（1）：\n1\. 10:0\d Alice：请问黑玫瑰精华什么时候发货？/)
    expect(digest).toContain('转人工未处理（0）：\n无')
    expect(svc.said.filter((s) => s.text.includes('每日摘要') && s.roomId)).toEqual([expect.objectContaining({ text: expect.stringContaining('本群已开启每日摘要') })])
    expect(await bot.stop()).toBe(0)

    // day D+7, 10:05: the invite's durable job fell due while the bot was down: credited at start
    bot = await world.startBot({ env: { SIYU_TEST_CLOCK_OFFSET: offsetTo(day.plus({ days: 7 }).set({ hour: 10, minute: 5 })) } })
    await bot.waitForLog((l) => l.msg === 'invite points credited' && l.inviter === 'wxid_alice', 'the invite credited')
    alice.say('邀请榜').to(room)
    expect(await svc.waitForText(room, '邀请榜 TOP10')).toBe('邀请榜 TOP10\n1. Alice 邀请 1 人')
    // the room heard of the digest once, in all three runs
    expect(svc.textsIn(room).filter((t) => t.includes('本群已开启每日摘要'))).toHaveLength(1)
    expect(svc.textsTo(boss).filter((t) => t.includes('【每日摘要】'))).toHaveLength(1)
  }, 180_000)
})
