import { describe, expect, it } from 'vitest'
import type { mock } from 'wechaty-puppet-mock'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  friends:
    accept: keywords
    keywords: [希思黎]
    greeting: "你好 {name}，发「进VIP群」加入粉丝群～"
groups:
  - name: vip
    match: { topic: "VIP*" }
    skills:
      checkin: { pool: sisley, points: 10 }
      gate:
        keywords: [进VIP群]
        capacity: 450
        require:
          points: { pool: sisley, min: 10 }
        inviteReply: "{name}，已邀请你加入{topic}，请留意群邀请"
        deniedReply: "{name}，VIP 群需要 {need} 积分，你现在有 {points} 分"
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: sisley, points: 10 }
`

describe('gate and friend requests, end to end over wechaty-puppet-service (gRPC)', () => {
  let vip: mock.RoomMock
  let fans: mock.RoomMock
  const used = useBotWorld('gate', CONFIG, (svc) => {
    const owner = svc.contact('群主')
    vip = svc.room('VIP1群', [owner])
    fans = svc.room('粉丝1群', [owner])
  })

  it('a friend request with the keyword is accepted (the contact becomes a friend) and greeted privately; one without is not', async () => {
    const { svc, bot } = used
    const fan = svc.contact('小红')
    const stranger = svc.contact('路人')
    svc.puppet.requestFriend(stranger, '你好')
    const id = svc.puppet.requestFriend(fan, '我是希思黎的老粉')
    expect(await svc.waitForPrivate(fan, '你好 小红')).toBe('你好 小红，发「进VIP群」加入粉丝群～')
    expect(svc.puppet.isFriend(fan.id)).toBe(true)
    expect(svc.puppet.accepted).toEqual([id])
    await bot.waitForLog((l) => l.audit === true && l.action === 'friend accept' && l.contact === fan.id, 'the accept audit line')
    await bot.waitForLog((l) => l.msg === 'friend request without a keyword; left for people' && l.contact === stranger.id, 'the stranger left alone')
    expect(svc.puppet.isFriend(stranger.id)).toBe(false)
    expect(svc.textsTo(stranger)).toEqual([])
  })

  it('a private 进VIP群 from a member with enough points: invited, joins the room; without: told what is missing', async () => {
    const { svc, bot } = used
    const rich = svc.contact('有分会员')
    const poor = svc.contact('新会员')
    fans.payload.memberIdList.push(rich.id)
    rich.say('签到').to(fans)
    await svc.waitForText(fans, '有分会员 签到成功')

    poor.say('进VIP群').to(svc.botUser)
    expect(await svc.waitForPrivate(poor, '需要')).toBe('新会员，VIP 群需要 10 积分，你现在有 0 分')

    rich.say('进VIP群').to(svc.botUser)
    expect(await svc.waitForPrivate(rich, '已邀请')).toBe('有分会员，已邀请你加入VIP1群，请留意群邀请')
    // the add reached the puppet, the contact joined (a real room-join), and the bot saw it
    await waitFor(() => vip.payload.memberIdList.includes(rich.id), { what: 'the member in the VIP room' })
    await bot.waitForLog((l) => l.audit === true && l.action === 'invite' && l.contact === rich.id && l.room === vip.id, 'the invite audit line')
    await bot.waitForLog((l) => l.msg === 'an invited contact joined' && l.contact === rich.id, 'the join ended the pending invite')
    expect(vip.payload.memberIdList).not.toContain(poor.id)

    // asked again: already in
    rich.say('进VIP群').to(svc.botUser)
    await waitFor(() => svc.textsTo(rich).length >= 2, { what: 'a second private answer' })
    expect(svc.textsTo(rich)[1]).toContain('已经在VIP1群')
  }, 45_000)

  it('a private message no skill takes gets nothing', async () => {
    const { svc, bot } = used
    const m = svc.contact('闲聊')
    m.say('签到').to(svc.botUser)
    await bot.waitForLog((l) => l.msg === 'direct message; no skill answered' && l.contact === m.id, 'the DM went through and nobody answered')
    expect(svc.textsTo(m)).toEqual([])
  })
})
