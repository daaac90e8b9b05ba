import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PointsBook } from '../../src/members/PointsBook.js'
import { PostgresAdapter } from '../../src/store/PostgresAdapter.js'
import { Store } from '../../src/store/Store.js'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { postgresAvailable, usePostgres } from '../helpers/postgres.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  admins: [wxid_boss]
  rateLimit: false
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans }
      live:
        remind: [2m]
        remindText: "【直播预告】{title} {in}后开播"
`
const ROUNDS = 10
const MEMBERS_PER_ROUND = 25
/** Shorter than the default 10 s so that ten takeovers fit in a test run; the mechanism is the same. */
const LEASE_SECONDS = '5'

describe.runIf(postgresAvailable())('fault: kill -9 the active during a check-in burst, 10 times; the standby takes over', () => {
  const pgc = usePostgres()
  let world: BotWorld
  let url: string
  const bots: BotProcess[] = []

  beforeAll(async () => {
    world = await BotWorld.create('pgha', CONFIG)
    url = await pgc.cluster.freshDatabase()
  }, 60_000)
  afterAll(async () => {
    for (const b of bots) if (b.pid) b.kill('SIGKILL')
    await Promise.all(bots.map((b) => b.exited))
    await world?.close()
  })

  it('loses no acknowledged check-in, sends no reminder twice, and each takeover is within 30 s', async () => {
    const svc = world.svc
    const start = (): BotProcess => {
      // both processes share one puppet-service account: the standby must not connect before it holds the lease
      const b = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...svc.env(), SIYU_STORE: url, SIYU_LEASE_SECONDS: LEASE_SECONDS } })
      bots.push(b)
      return b
    }
    const acknowledged = new Set<string>()
    const everyone: string[] = []
    const room = svc.room('粉丝1群', [])
    const linesIn = (from: number) =>
      svc.said
        .slice(from)
        .filter((s) => s.roomId === room.id)
        .flatMap((s) => s.text.split('\n'))

    let active = start()
    await active.ready()
    let standby = start()
    await standby.waitForLog((l) => l.msg === 'standby: store loaded; following the active', 'the first standby loaded the store')

    // a live whose reminder falls due during the rounds below
    const boss = svc.contact('老板', 'wxid_boss')
    room.payload.memberIdList.push(boss.id)
    const liveAt = DateTime.fromMillis(Date.now() + 2 * 60_000 + 40_000, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })
    boss.say(`#live add ${liveAt} 周末福利场`).to(room)
    await svc.waitForText(room, '已添加直播')

    const takeovers: number[] = []
    let interrupted = 0
    for (let round = 0; round < ROUNDS; round++) {
      // whoever was confirmed before is known to the active now: "already", never a second success
      const checkFrom = svc.said.length
      const previous = [...everyone]
      for (const name of previous) svc.mocker.ContactMock.load(idOf(name)).say('签到').to(room)
      await waitFor(() => linesIn(checkFrom).filter((l) => l.includes('签到')).length >= previous.length, {
        timeoutMs: 30_000,
        what: `answers to ${previous.length} repeat check-ins (round ${round})`,
      })
      for (const line of linesIn(checkFrom)) {
        const name = line.split(' ')[0]!
        if (acknowledged.has(name)) expect(line, `round ${round}`).toContain('今天已签到')
        if (line.includes('签到成功')) acknowledged.add(name)
      }

      // a fresh burst over ~250 ms, and a kill -9 of the active at a random moment inside it
      const burstFrom = svc.said.length
      const members = Array.from({ length: MEMBERS_PER_ROUND }, (_, i) => svc.contact(`p${round}m${i}`, idOf(`p${round}m${i}`)))
      everyone.push(...members.map((m) => m.payload.name))
      room.payload.memberIdList.push(...members.map((m) => m.id))
      const timers = members.map((m, i) => setTimeout(() => m.say('签到').to(room), i * 10))
      await new Promise((r) => setTimeout(r, Math.random() * MEMBERS_PER_ROUND * 10))
      const killedAt = Date.now()
      active.kill('SIGKILL')
      await new Promise((r) => setTimeout(r, MEMBERS_PER_ROUND * 10))
      timers.forEach(clearTimeout)
      await active.exited
      const confirmed = linesIn(burstFrom).filter((l) => l.includes('签到成功'))
      for (const line of confirmed) acknowledged.add(line.split(' ')[0]!)
      if (confirmed.length < MEMBERS_PER_ROUND) interrupted++

      // the killed machine comes back at once (as an operator's supervisor would restart it); the
      // standby, or this new process if it happens to look first, takes the lease and logs in
      const fresh = start()
      const acquired = (b: BotProcess) => b.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'))
      const next = await waitFor(() => [standby, fresh].find(acquired), { timeoutMs: 30_000, what: `round ${round}: a process took the lease` })
      await next.ready(30_000)
      takeovers.push(Date.now() - killedAt)
      const other = next === standby ? fresh : standby
      active = next
      standby = other
      await standby.waitForLog((l) => l.msg === 'standby: store loaded; following the active', `round ${round}: the new standby loaded the store`, 60_000).catch((err: Error) => {
        const tail = (b: BotProcess) => b.logs.slice(-8).map((l) => `${l.msg} ${JSON.stringify({ ...l, msg: undefined, time: undefined, pid: undefined, hostname: undefined, level: undefined })}`)
        throw new Error(`${err.message}\nnew standby: ${tail(standby).join('\n  ')}\nactive: ${tail(active).join('\n  ')}`)
      })
      expect([active, standby].filter(acquired)).toHaveLength(1)
    }
    // the reminder was due during the rounds: it went out once
    await svc.waitForText(room, '【直播预告】周末福利场', 60_000)
    expect(await active.stop()).toBe(0)
    expect(await standby.stop()).toBe(0)
    expect(svc.textsIn(room).flatMap((t) => t.split('\n')).filter((t) => t.startsWith('【直播预告】'))).toHaveLength(1)

    // every acknowledged check-in is in the database, once
    const adapter = new PostgresAdapter(url)
    await adapter.open()
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:fans/'))
    for (const name of acknowledged) expect(book.get(idOf(name))?.total, name).toBe(10)
    const perMember = new Map<string, number>()
    for (const e of book.ledger()) perMember.set(e.member, (perMember.get(e.member) ?? 0) + 1)
    expect([...perMember.values()].every((n) => n === 1)).toBe(true)
    for (const [id, total] of book.recomputeTotals()) expect(book.get(id)?.total).toBe(total)
    await store.close()

    expect(interrupted).toBeGreaterThanOrEqual(ROUNDS / 2)
    expect(acknowledged.size).toBeGreaterThan(0)
    expect(Math.max(...takeovers)).toBeLessThan(30_000)
    console.log(`[pgTakeover] takeover after kill -9 (lease ${LEASE_SECONDS} s), kill → logged in and rooms loaded: ${takeovers.map((t) => (t / 1000).toFixed(1)).join(', ')} s`)
  }, 900_000)
})

function idOf(name: string): string {
  return `wxid_${name}`
}
