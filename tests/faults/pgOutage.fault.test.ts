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

/**
 * An active cannot tell PostgreSQL being down from a network cut between them (where a standby
 * may take the lease over): either way it stops sending when its lease could expire, and
 * exits 4 once the lease could have expired. Started again by its supervisor when the database
 * is back, it takes the lease again (nobody else did); nothing unconfirmed was stored, nothing
 * confirmed was lost.
 */
describe.runIf(postgresAvailable())('fault: PostgreSQL stops for 20 s under a lone active', () => {
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

  it('holds what it owes, stops sending when the lease could expire, exits 4 when it could have expired; started again, it is the active', async () => {
    const svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const room = svc.room('粉丝1群', [alice, bob])
    const start = () => new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...svc.env(), SIYU_STORE: pgc.cluster.url } })
    // the default lease (10 s): sends stop 8 s after the last renewal could not be made, the process exits at 10 s
    bot = start()
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
    expect(await bot.exited).toBe(4)
    expect(Date.now() - downAt).toBeLessThan(20_000)
    expect(bot.logs.some((l) => /database unreachable/.test(String(l.msg)))).toBe(true)
    expect(bot.logs.some((l) => /^lease lost for good: the lease could not be renewed within its 10 s/.test(String(l.msg)))).toBe(true)
    expect(svc.textsIn(room).some((t) => t.includes('Bob'))).toBe(false)
    expect(svc.textsIn(room).some((t) => t.includes('Alice 共 10 分'))).toBe(false)

    await new Promise((r) => setTimeout(r, Math.max(0, 20_000 - (Date.now() - downAt))))
    await pgc.cluster.start()
    // its supervisor starts it again: the lease ran out and nobody else holds it
    bot = start()
    await bot.ready()
    expect(bot.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'))).toHaveLength(1)
    // Bob's check-in of the outage was never stored, and never confirmed: now it counts
    bob.say('签到').to(room)
    await svc.waitForText(room, 'Bob 签到成功', 30_000)
    alice.say('我的积分').to(room)
    await svc.waitForText(room, 'Alice 共 10 分', 30_000)
    expect(await bot.stop()).toBe(0)
    bot = undefined

    const adapter = new PostgresAdapter(pgc.cluster.url)
    await adapter.open()
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:fans/'))
    expect(book.get('wxid_alice')?.total).toBe(10)
    expect(book.get('wxid_bob')?.total).toBe(10)
    expect(book.ledger().filter((e) => e.member === 'wxid_bob')).toHaveLength(1)
    await store.close()
  }, 180_000)
})
