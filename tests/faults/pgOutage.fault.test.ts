import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PointsBook } from '../../src/members/PointsBook.js'
import { PostgresAdapter } from '../../src/store/PostgresAdapter.js'
import { Store } from '../../src/store/Store.js'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { postgresAvailable, usePostgres } from '../helpers/postgres.js'

const CONFIG = `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans }
`

describe.runIf(postgresAvailable())('fault: PostgreSQL stops for 20 s under the active', () => {
  const pgc = usePostgres()
  let world: BotWorld
  let bot: BotProcess | undefined

  beforeAll(async () => {
    world = await BotWorld.create('pgdown', CONFIG)
  }, 60_000)
  afterAll(async () => {
    await bot?.stop().catch(() => bot?.kill('SIGKILL'))
    await world?.close()
  })

  it('holds what it owes (check-ins stay unconfirmed until stored), stops sending when the lease could expire, resumes when the database is back', async () => {
    const svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const room = svc.room('粉丝1群', [alice, bob])
    // the default lease (10 s): sends stop 8 s after the last renewal could not be made
    bot = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...svc.env(), SIYU_STORE: pgc.cluster.url } })
    await bot.ready()
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功')

    const downAt = Date.now()
    await pgc.cluster.stop()
    // a check-in while the database is away: its confirmation waits for the commit
    bob.say('签到').to(room)
    await bot.waitForLog((l) => l.msg === 'lease lost: stopping sends', 'sends stopped when the lease could have expired', 20_000)
    // a reply that needs no commit is held too once sends stopped
    alice.say('我的积分').to(room)
    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))))
    expect(svc.textsIn(room).some((t) => t.includes('Bob'))).toBe(false)
    expect(svc.textsIn(room).some((t) => t.includes('Alice 共 10 分'))).toBe(false)
    expect(bot.logs.some((l) => /database unreachable/.test(String(l.msg)))).toBe(true)

    await pgc.cluster.start()
    await bot.waitForLog((l) => l.msg === 'lease renewed: sending again', 'the lease renewed with the same token', 30_000)
    await svc.waitForText(room, 'Bob 签到成功', 30_000)
    await svc.waitForText(room, 'Alice 共 10 分', 30_000)
    // still the same process, the same token: nobody else held the lease
    expect(bot.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'))).toHaveLength(1)
    expect(await bot.stop()).toBe(0)
    bot = undefined

    const adapter = new PostgresAdapter(pgc.cluster.url)
    await adapter.open()
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:fans/'))
    expect(book.get('wxid_bob')?.total).toBe(10)
    expect(book.ledger().filter((e) => e.member === 'wxid_bob')).toHaveLength(1)
    await store.close()
  }, 180_000)
})
