import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'

const CONFIG = `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { text: "欢迎 {names}！", batchSeconds: 3 }
      checkin: {}
      live:
        remind: [1m]
        remindText: "【直播预告】{title} {in}后开播"
`

describe('fault: the puppet service goes down for 20 s', () => {
  const used = useBotWorld('fault', CONFIG)

  it('logs in again by itself and sends what it owed, once', async () => {
    const { svc, bot } = used
    const alice = svc.contact('Alice')
    // the admin is in the room from the start: one who appears unannounced is a join found (and welcomed)
    const boss = svc.contact('老板', 'wxid_boss')
    const room = svc.room('粉丝1群', [alice, boss])
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功')

    // a live whose 1-minute reminder falls due about 12 s from now: during the outage
    const start = DateTime.fromMillis(Date.now() + 72_000, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })
    boss.say(`#live add ${start} 周末福利场`).to(room)
    await svc.waitForText(room, '已添加直播')

    // three people join; the welcome is due in 3 s, while the service is down
    const newcomers = ['Bob', 'Carol', 'Dan'].map((n) => svc.contact(n))
    room.add(...newcomers).by(alice)
    await bot.waitForLog((l) => l.msg === 'members changed' && l.members === 3, 'the join reached the bot')
    const downAt = Date.now()
    await svc.stopServer()
    await bot.waitForLog((l) => l.msg === 'welcoming newcomers', 'the welcome fell due during the outage')
    await bot.waitForLog((l) => l.msg === 'live reminder queued', 'the reminder fell due during the outage', 30_000)
    await bot.waitForLog((l) => l.msg === 'connection to WeChat lost; restarting the puppet', 'the bot noticed')
    // what members say while the line is down never reaches the bot: nothing to assert there
    await new Promise((r) => setTimeout(r, 20_000 - (Date.now() - downAt)))
    expect(svc.textsIn(room).filter((t) => t.startsWith('欢迎') || t.startsWith('【直播预告】'))).toHaveLength(0)

    await svc.startServer()
    const welcome = await svc.waitForText(room, '欢迎', 30_000)
    expect(welcome).toBe('欢迎 @Bob\u2005@Carol\u2005@Dan\u2005！')
    await svc.waitForText(room, '【直播预告】周末福利场')
    // logged in again by itself, and still working
    expect(bot.logs.filter((l) => l.msg === 'logged in').length).toBeGreaterThanOrEqual(2)
    alice.say('我的积分').to(room)
    await svc.waitForText(room, 'Alice 共 10 分')
    expect(svc.textsIn(room).filter((t) => t.startsWith('欢迎'))).toHaveLength(1)
    expect(svc.textsIn(room).filter((t) => t.startsWith('【直播预告】'))).toHaveLength(1)
  }, 120_000)
})
