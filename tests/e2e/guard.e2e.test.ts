import { describe, expect, it } from 'vitest'
import type { mock } from 'wechaty-puppet-mock'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      guard:
        block:
          links: true
          miniPrograms: true
          contactCards: true
          words: [加微信]
        strikes: 3
        window: 7d
        warnText: "{name} 本群不允许{rule}，再 {remaining} 次将被移出"
        removeText: "{name} 因{rule}已被移出本群"
        blacklist: true
      autoreply:
        rules:
          - keywords: [发货]
            reply: "{name}，48 小时内发货"
`

describe('guard end to end over wechaty-puppet-service (gRPC)', () => {
  let room1: mock.RoomMock
  let room2: mock.RoomMock
  let boss: mock.ContactMock
  let owner: mock.ContactMock
  /** The member the first test has removed (the second brings them back). */
  let spammer: mock.ContactMock
  const used = useBotWorld('guard', CONFIG, (svc) => {
    boss = svc.contact('老板', 'wxid_boss')
    owner = svc.contact('群主')
    room1 = svc.room('粉丝1群', [boss, owner])
    room2 = svc.room('粉丝2群', [boss, owner])
  })

  it('an ad with a link is warned (not answered), a link card and a mini-program card strike too; the 3rd removes (a real room-leave) and the admin gets the evidence', async () => {
    const { svc, bot } = used
    const spam = svc.contact('广告哥')
    spammer = spam
    room1.payload.memberIdList.push(spam.id)

    spam.say('发货超快 https://spam.example.com/shop').to(room1)
    expect(await svc.waitForText(room1, '本群不允许')).toBe('广告哥 本群不允许发链接，再 2 次将被移出')
    svc.puppet.postCard(spam, room1, { kind: 'url', url: 'https://spam.example.com/deal', title: '限时秒杀' })
    await waitFor(() => svc.textsIn(room1).length >= 2, { what: 'the second warning' })
    expect(svc.textsIn(room1)[1]).toBe('广告哥 本群不允许发链接，再 1 次将被移出')
    await bot.waitForLog((l) => l.audit === true && l.action === 'guard strike' && l.type === 'Url' && l.strike === 2, 'the link card’s strike')

    svc.puppet.postCard(spam, room1, { kind: 'miniProgram', title: '拼团砍一刀', appid: 'wx0000' })
    await waitFor(() => !room1.payload.memberIdList.includes(spam.id), { what: 'the spammer out of the room', timeoutMs: 20_000 })
    await bot.waitForLog((l) => l.audit === true && l.action === 'guard removal' && l.contact === spam.id && l.room === room1.id, 'the removal audit line')
    // the room-leave the removal made reached the bot as a real event
    await bot.waitForLog((l) => l.msg === 'members changed' && l.event === 'leaves' && l.room === room1.id, 'the room-leave')
    expect(await svc.waitForText(room1, '已被移出')).toBe('广告哥 因发小程序已被移出本群')
    const report = await svc.waitForPrivate(boss, '已把 广告哥')
    expect(report).toContain(`已把 广告哥（${spam.id}）移出「粉丝1群」（分组 fans）`)
    expect(report).toContain('原因：发小程序（7天内第 3 次违规）')
    expect(report).toContain('证据（MiniProgram）：拼团砍一刀')
    // the ad was not answered by autoreply (guard ran first)
    expect(svc.textsIn(room1).some((t) => t.includes('48 小时内发货'))).toBe(false)
  }, 60_000)

  it('a blacklisted member who joins another room of the group is removed again', async () => {
    const { svc, bot } = used
    const banned = spammer
    room2.add(banned).by(owner)
    await waitFor(() => room2.payload.memberIdList.includes(banned.id), { what: 'the rejoin' })
    await waitFor(() => !room2.payload.memberIdList.includes(banned.id), { what: 'removed again', timeoutMs: 20_000 })
    await bot.waitForLog((l) => l.audit === true && l.action === 'guard removal' && l.room === room2.id && l.rule === 'blacklist', 'the blacklist removal')
    expect(await svc.waitForPrivate(boss, '原因：被移出后再次进群')).toContain(`移出「粉丝2群」`)
  }, 60_000)

  it('a removal the service refuses (the bot is no room admin): the admin is told instead; the bot goes on', async () => {
    const { svc, bot } = used
    const spam = svc.contact('名片党')
    room2.payload.memberIdList.push(spam.id)
    svc.puppet.failRemoves = 1
    const someone = svc.contact('某人')
    for (let i = 0; i < 3; i++) {
      svc.puppet.postCard(spam, room2, { kind: 'contact', contactId: someone.id })
      await waitFor(() => bot.logs.filter((l) => l.action === 'guard strike' && l.contact === spam.id).length > i, { what: `strike ${i + 1}` })
    }
    const report = await svc.waitForPrivate(boss, '未能把 名片党', 20_000)
    expect(report).toContain('roomDel refused')
    expect(report).toContain('请手动移出')
    expect(report).toContain('证据（Contact）：')
    await bot.waitForLog((l) => l.audit === true && l.action === 'guard removal failed' && l.contact === spam.id, 'the failure audit line')
    expect(room2.payload.memberIdList).toContain(spam.id)
    // still alive and answering
    owner.say('什么时候发货').to(room2)
    expect(await svc.waitForText(room2, '48 小时内发货')).toBe('群主，48 小时内发货')
  }, 60_000)
})
