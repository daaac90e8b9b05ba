import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { postgresAvailable, usePostgres } from '../helpers/postgres.js'
import { TcpProxy } from '../helpers/TcpProxy.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  rateLimit: false
  friends: { accept: keywords, keywords: [进群], perDay: 50 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans }
      guard:
        block: { words: [加微信] }
        strikes: 1
      gate:
        keywords: [进群]
        capacity: 100
`

/**
 * The network between the active and PostgreSQL is cut (a TCP proxy stops passing bytes; the
 * standby still reaches the database). Every renewal then fails with a connection error: the
 * old active must stop everything that reaches WeChat — texts AND removals, invites, friend
 * accepts — as soon as its lease could have expired, and exit 4 (its supervisor starts it
 * again as the standby), while the standby takes over.
 */
describe.runIf(postgresAvailable())('fault: the active is cut off from PostgreSQL while the standby takes over', () => {
  const pgc = usePostgres()
  let world: BotWorld
  let proxy: TcpProxy
  let url: string
  const bots: BotProcess[] = []

  beforeAll(async () => {
    world = await BotWorld.create('pgcut', CONFIG)
    url = await pgc.cluster.freshDatabase()
    proxy = await TcpProxy.start(pgc.cluster.port)
  }, 60_000)
  afterAll(async () => {
    for (const b of bots) if (b.pid) b.kill('SIGKILL')
    await Promise.all(bots.map((b) => b.exited))
    await proxy?.close()
    await world?.close()
  })

  it('after its lease could have expired the old active sends, removes, invites and accepts nothing, and exits 4', async () => {
    const svc = world.svc
    const start = (store: string): BotProcess => {
      const b = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...svc.env(), SIYU_STORE: store } })
      bots.push(b)
      return b
    }
    const alice = svc.contact('Alice', 'wxid_alice')
    const spammer = svc.contact('广告号', 'wxid_spam')
    const room = svc.room('粉丝1群', [alice, spammer])

    // the active reaches the database through the proxy; the standby directly
    const active = start(proxy.via(url))
    await active.ready()
    const standby = start(url)
    await standby.waitForLog((l) => l.msg === 'standby: store loaded; following the active', 'the standby loaded the store', 60_000)
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功')

    proxy.cut()
    // the default lease (10 s): sends stop 8 s after the last renewal that got through
    await active.waitForLog((l) => l.msg === 'lease lost: stopping sends', 'the active stopped when its lease could have expired', 20_000)
    const stoppedAt = Date.now()
    const said = svc.said.length
    const acted = svc.puppet.actions.length

    // what the old active still hears from WeChat now: each would reach WeChat at once without the fence
    const eve = svc.contact('Eve', 'wxid_eve')
    svc.puppet.requestFriend(eve, '我想进群') // a friend request with the keyword: accept
    spammer.say('加微信 vx123').to(room) // an ad at strikes: 1: removal
    svc.contact('Frank', 'wxid_frank').say('进群').to(svc.botUser) // a private keyword: invite
    alice.say('我的积分').to(room) // a reply that needs no commit: a text
    expect(await active.exited).toBe(4)
    const exitedAt = Date.now()
    expect(svc.puppet.actions.slice(acted)).toEqual([])
    // it heard them, and held each (its lease is not certain): none was refused or dropped either
    for (const held of ['friend request waits for its account to be back', 'removal waits for the room’s account to be back', 'invite waits for the room’s account to be back']) {
      expect(active.logs.some((l) => l.msg === held), held).toBe(true)
    }
    expect(active.logs.some((l) => typeof l.msg === 'string' && /^lease lost for good: the lease could not be renewed within its 10 s/.test(l.msg))).toBe(true)
    // the standby holds the lease now, and is logged in
    await standby.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'), 'the standby took the lease', 30_000)
    await standby.ready(30_000)

    // nothing reached WeChat from the old active after it stopped, nor until the new active was up
    expect(svc.puppet.actions.slice(acted)).toEqual([])
    expect(svc.said.slice(said)).toEqual([])
    expect(exitedAt - stoppedAt).toBeLessThan(15_000)

    // and the recorder does see what the new active does
    const gina = svc.contact('Gina', 'wxid_gina')
    const id = svc.puppet.requestFriend(gina, '进群')
    await waitFor(() => svc.puppet.actions.find((a) => a.kind === 'accept' && a.id === id), { timeoutMs: 15_000, what: 'the new active accepts a friend request' })
    expect(await standby.stop()).toBe(0)
  }, 180_000)
})
