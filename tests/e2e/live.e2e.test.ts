import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotWorld } from '../helpers/BotWorld.js'
import type { SaidText } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

const REMIND_MS = 3_000

const config = (startIso: string) => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      live:
        lives:
          - id: e2e
            title: 端到端直播
            start: "${startIso}"
            link: https://example.invalid/live
        remind: [3s]
`

describe('live, end to end over wechaty-puppet-service (gRPC)', () => {
  let world: BotWorld

  beforeAll(async () => {
    world = await BotWorld.create('live-e2e')
  })

  afterAll(async () => world?.close())

  it('reminds and @s the subscriber on time, once, across a restart; only an admin adds a live, which survives a restart', async () => {
    const svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    const boss = svc.contact('老板', 'wxid_boss')
    const room = svc.room('粉丝1群', [alice, boss])
    const said = (prefix: string): SaidText[] => svc.said.filter((s) => s.roomId === room.id && s.text.startsWith(prefix))

    // Time from writing the config to the live's start: two bot starts, a subscription and a
    // stop must fit in it. A bot start takes 2 s on a quiet machine and 15 s on a loaded one,
    // so measure one here (without the live) and plan the live's start from it.
    await world.writeConfig(config('2099-01-01T20:00:00+08:00'))
    const measured = Date.now()
    expect(await (await world.startBot()).stop()).toBe(0)
    const leadMs = 3 * (Date.now() - measured) + 8_000
    // whole seconds, ISO 8601 with an offset and seconds, as the operator may write it
    const start = Math.ceil((Date.now() + leadMs) / 1000) * 1000
    const startIso = DateTime.fromMillis(start, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })!
    await world.writeConfig(config(startIso))

    let bot = await world.startBot()
    alice.say('预约').to(room)
    await svc.waitForText(room, 'Alice 预约成功')

    // restart between subscribing and the start: SIGTERM, a new process on the same data
    expect(await bot.stop()).toBe(0)
    bot = await world.startBot()
    const slack = start - REMIND_MS - Date.now()
    expect(slack, 'the bot took too long to restart for this test').toBeGreaterThan(1_000)

    const reminder = await waitFor(() => said('【直播预告】')[0], { timeoutMs: start - Date.now() + 5_000, what: 'the reminder' })
    const started = await waitFor(() => said('【开播啦】')[0], { timeoutMs: start - Date.now() + 5_000, what: 'the start message' })
    const remindLate = reminder.at - (start - REMIND_MS)
    const startLate = started.at - start
    console.log(`live e2e: ready again ${slack} ms before the reminder; reminder ${remindLate} ms after its plan, start message ${startLate} ms after the start`)
    expect(remindLate).toBeGreaterThanOrEqual(-50)
    expect(remindLate).toBeLessThan(1_000)
    expect(startLate).toBeGreaterThanOrEqual(-50)
    expect(startLate).toBeLessThan(1_000)
    expect(reminder.text).toBe(`【直播预告】端到端直播 3秒后开播（${DateTime.fromMillis(start, { zone: 'Asia/Shanghai' }).toFormat("M'月'd'日' HH:mm")}）\nhttps://example.invalid/live`)
    expect(started.text).toBe('【开播啦】端到端直播 https://example.invalid/live @Alice\u2005')

    // a non-admin's #live add does nothing; the admin's is answered with the new id
    alice.say('#live add 2099-01-01 20:00 偷偷加的直播').to(room)
    await bot.waitForLog((l) => l.msg === 'command from a non-admin; ignored' && l.talker === 'wxid_alice', 'non-admin #live ignored')
    boss.say('#live add 2099-01-02 20:00 新品首发 https://example.invalid/new').to(room)
    const added = await svc.waitForText(room, '已添加直播')
    const id = /^已添加直播 (\S+)：/.exec(added)?.[1]
    expect(id).toBe('a1')

    // it survives a restart; the finished live sends nothing again
    expect(await bot.stop()).toBe(0)
    bot = await world.startBot()
    boss.say('#live list').to(room)
    const list = await svc.waitForText(room, '本群待开播的直播')
    expect(list).toBe('本群待开播的直播（1）：\na1 · 1月2日 20:00 新品首发（命令添加，预约 0 人）')

    expect(said('【直播预告】')).toHaveLength(1)
    expect(said('【开播啦】')).toHaveLength(1)
    expect(said('Alice 预约成功')).toHaveLength(1)
    expect(svc.textsIn(room).some((t) => t.includes('偷偷加'))).toBe(false)
  }, 240_000)
})
