import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { postgresAvailable, usePostgres } from '../helpers/postgres.js'

const CONFIG = `bot:
  admins: [wxid_boss]
  rateLimit: false
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans }
`

describe.runIf(postgresAvailable())('--store postgres://…, end to end: one store, an active and a standby', () => {
  const pgc = usePostgres()
  let world: BotWorld
  let url: string
  const bots: BotProcess[] = []
  const startBot = (env: Record<string, string> = {}): BotProcess => {
    const b = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...world.svc.env(), ...env } })
    bots.push(b)
    return b
  }

  beforeAll(async () => {
    world = await BotWorld.create('pg', CONFIG)
    // a password in the URL (trust auth ignores it): it must never reach a log line
    url = (await pgc.cluster.freshDatabase()).replace('postgres@', 'postgres:s3cret-pw@')
  }, 60_000)
  afterAll(async () => {
    for (const b of bots) await b.stop().catch(() => {})
    await world?.close()
  })

  it('keeps check-ins in PostgreSQL; the standby waits without touching WeChat and takes over on a clean stop', async () => {
    const svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const room = svc.room('粉丝1群', [alice, bob])

    const a = startBot({ SIYU_STORE: url })
    await a.ready()
    expect(a.logs.find((l) => l.msg === 'active: lease acquired (token 1)')).toBeTruthy()
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功')

    // the standby: the same store, given on the command line this time
    const standby = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: svc.env(), args: ['--store', url] })
    bots.push(standby)
    await standby.waitForLog((l) => l.msg === 'standby: store loaded; following the active', 'the standby loaded the store')
    expect(standby.logs.some((l) => l.msg === 'standby: waiting for the lease')).toBe(true)
    expect(standby.logs.some((l) => l.msg === 'connecting to WeChat' || l.msg === 'logged in')).toBe(false)

    bob.say('签到').to(room)
    await svc.waitForText(room, 'Bob 签到成功')
    // a third process is a second standby; SIGTERM ends its wait at once, exit 0
    const spare = startBot({ SIYU_STORE: url })
    await spare.waitForLog((l) => l.msg === 'standby: waiting for the lease', 'the spare standby waits')
    expect(await spare.stop()).toBe(0)
    expect(spare.logs.some((l) => l.msg === 'stopped (this process was the standby)')).toBe(true)

    // a clean stop releases the lease: the standby takes over at its next look (1 s), not after 10 s
    const stoppedAt = Date.now()
    expect(await a.stop()).toBe(0)
    await standby.waitForLog((l) => l.msg === 'active: lease acquired (token 2)', 'the standby took the lease', 15_000)
    await standby.ready()
    expect(Date.now() - stoppedAt).toBeLessThan(15_000)
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 今天已签到')
    bob.say('我的积分').to(room)
    await svc.waitForText(room, 'Bob 共 10 分')

    for (const bot of [a, standby]) {
      const text = [...bot.stdout, ...bot.stderr].join('\n')
      expect(text).not.toContain('s3cret-pw')
      expect(text).toContain('postgres:***@')
    }
    // the points are in the database
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      const { rows } = await c.query(`SELECT key, value FROM siyu_kv WHERE key LIKE 'checkin/pool:fans/members/%' AND value IS NOT NULL`)
      expect(rows.map((r: { value: { total: number } }) => r.value.total).sort()).toEqual([10, 10])
    } finally {
      await c.end()
    }
  }, 120_000)

  it('refuses a --store that is not a postgres URL (exit 2), naming the flag', async () => {
    const p = startBot({ SIYU_STORE: 'mysql://x' })
    expect(await p.exited).toBe(2)
    expect(p.stderr.join('\n')).toContain('--store must be a postgres://')
  })

  it('exits 3 when the database cannot be reached, saying where without the password', async () => {
    const p = startBot({ SIYU_STORE: `postgres://siyu:hidden-pw@127.0.0.1:${pgc.cluster.port + 1}/none` })
    expect(await p.exited).toBe(3)
    const err = p.stderr.join('\n')
    expect(err).toContain('cannot reach the database postgres://siyu:***@127.0.0.1')
    expect(err).not.toContain('hidden-pw')
  })
})
