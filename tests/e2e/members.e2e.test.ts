import { describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome:
        text: "欢迎 {names} 加入{topic}！你是第 {count} 位家人"
        batchSeconds: 2
      checkin:
        triggers: [签到]
        rankTriggers: [积分榜]
        meTriggers: [我的积分]
`

describe('member skills, end to end over wechaty-puppet-service (gRPC)', () => {
  const used = useBotWorld('e2e', CONFIG)

  it('batches joins into one welcome with real mentions', async () => {
    const { svc, bot } = used
    const inviter = svc.contact('群主')
    const room = svc.room('粉丝1群', [inviter])
    const newcomers = Array.from({ length: 12 }, (_, i) => svc.contact(`新人${i}`))
    for (const n of newcomers) room.add(n).by(inviter)
    const welcome = await svc.waitForText(room, '欢迎')
    // all twelve in one message, and nothing else follows
    for (const n of newcomers) expect(welcome).toContain(`@${n.payload.name}`)
    expect(welcome).toContain('你是第 14 位家人')
    await bot.waitForLog((l) => l.msg === 'welcoming newcomers' && l.newcomers === 12, 'one welcome for 12')
    expect(svc.textsIn(room).filter((t) => t.includes('欢迎'))).toHaveLength(1)
  })

  it('the bot being added to a group is no newcomer', async () => {
    const { svc, bot } = used
    const owner = svc.contact('群主2')
    const room = svc.mocker.createRoom({ topic: '粉丝新群', memberIdList: [owner.id] })
    room.add(svc.botUser).by(owner)
    await bot.waitForLog((l) => l.msg === 'the bot joined a room' && l.room === room.id, 'the bot noticed it joined')
    const newcomer = svc.contact('新朋友')
    room.add(newcomer).by(owner)
    const welcome = await svc.waitForText(room, '欢迎')
    expect(welcome).toContain('@新朋友')
    expect(welcome).not.toContain('siyu小助手')
    expect(svc.textsIn(room)).toHaveLength(1)
  })

  it('check-in, already, leaderboard and my points', async () => {
    const { svc, bot } = used
    const alice = svc.contact('Alice')
    const bob = svc.contact('Bob')
    const room = svc.room('粉丝2群', [alice, bob])
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功 +10，连续 1 天，共 10 分')
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 今天已签到，共 10 分')
    bob.say('签到').to(room)
    await svc.waitForText(room, 'Bob 签到成功')
    bob.say('积分榜').to(room)
    expect(await svc.waitForText(room, '积分榜 TOP10')).toBe('积分榜 TOP10\n1. Alice 10\n2. Bob 10')
    bob.say('我的积分').to(room)
    expect(await svc.waitForText(room, '第 2 名')).toBe('Bob 共 10 分，第 2 名，连续 1 天')
    // every check-in is counted once
    const boss = svc.contact('老板', 'wxid_boss')
    room.payload.memberIdList.push(boss.id)
    boss.say('#stats').to(room)
    expect(await svc.waitForText(room, '今日数据')).toContain('签到 2')
  })

  it('a burst of 60 check-ins: every one acknowledged once, within the rate limit', async () => {
    const { svc, bot } = used
    const members = Array.from({ length: 60 }, (_, i) => svc.contact(`会员${i}`))
    const room = svc.room('粉丝3群', members)
    for (const m of members) m.say('签到').to(room)
    const acknowledged = () => svc.textsIn(room).flatMap((t) => t.split('\n')).filter((l) => l.includes('签到成功'))
    await waitFor(() => acknowledged().length >= 60, { timeoutMs: 30_000, what: '60 acknowledgements' })
    for (const m of members) expect(acknowledged().filter((l) => l.startsWith(`${m.payload.name} 签到成功`))).toHaveLength(1)
    // merged: far fewer messages than check-ins, never more than 20 a minute in the room
    expect(svc.textsIn(room).length).toBeLessThanOrEqual(20)
  }, 45_000)
})
