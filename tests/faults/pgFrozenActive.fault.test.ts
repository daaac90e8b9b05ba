import { readdir, readFile, readlink } from 'node:fs/promises'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PointsBook } from '../../src/members/PointsBook.js'
import { PostgresAdapter } from '../../src/store/PostgresAdapter.js'
import { Store } from '../../src/store/Store.js'
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

/**
 * Fencing as the running bot wires it (src/ha/openStorage.ts): an active that stalls past its
 * lease — a VM paused, a long GC, here SIGSTOP — while the standby takes the lease over must not
 * write one more thing when it wakes up, and must exit 4.
 *
 * What can stop it: its lease keeper (a renewal that finds another token, or a lease not renewed
 * within its duration) and the fence on every commit. To show the fence does its part, the
 * database also ends the frozen process's lease session while it sleeps (as a server-side
 * keepalive or a proxy's idle timeout would): its first renewal after waking then fails as a
 * connection error, which says nothing about who holds the lease. A check-in queued for it over
 * gRPC while it was frozen is handled right after it wakes: with the fence its commit is refused;
 * without it, the check-in would land in the database next to the new active's state.
 *
 * The two processes talk to two puppet services (two accounts): the mock's PuppetServer serves one
 * client at a time, and the frozen process keeps its stream open.
 */
describe.runIf(postgresAvailable())('fault: the active frozen past its lease while the standby takes over', () => {
  const pgc = usePostgres()
  let activeWorld: BotWorld
  let standbyWorld: BotWorld
  let url: string
  const bots: BotProcess[] = []

  beforeAll(async () => {
    activeWorld = await BotWorld.create('pgfrozen-a', CONFIG)
    standbyWorld = await BotWorld.create('pgfrozen-b', CONFIG)
    url = await pgc.cluster.freshDatabase()
  }, 60_000)
  afterAll(async () => {
    for (const b of bots) if (b.pid) b.kill('SIGCONT') // a stopped process cannot handle SIGTERM
    await Promise.all(bots.map((b) => b.stop().catch(() => b.kill('SIGKILL'))))
    await activeWorld?.close()
    await standbyWorld?.close()
  })

  it('woken up, nothing of it lands in the database (a check-in queued while it slept included) and it exits 4', async () => {
    const svc = activeWorld.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const room = svc.room('粉丝1群', [alice, bob])
    standbyWorld.svc.room('粉丝1群', [])
    const start = (world: BotWorld): BotProcess => {
      const b = new BotProcess({ config: world.configPath, data: world.dataDir, home: world.dir, env: { ...world.svc.env(), SIYU_STORE: url } })
      bots.push(b)
      return b
    }
    // the default lease: 10 s, renewed every 2 s
    const active = start(activeWorld)
    await active.ready(60_000)
    const standby = start(standbyWorld)
    await standby.waitForLog((l) => l.msg === 'standby: store loaded; following the active', 'the standby loaded the store', 60_000)
    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功', 30_000)

    active.kill('SIGSTOP')
    const ended = await endLeaseSessionOf(active.pid!)
    expect(ended, 'the frozen process had one lease session').toBe(1)
    // a check-in for the frozen process: queued on its gRPC stream, handled when it wakes
    bob.say('签到').to(room)
    await standby.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'), 'the standby took the lease over', 60_000)

    active.kill('SIGCONT')
    const code = await Promise.race([active.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000))])
    expect(code, `the woken process: ${lastLines(active)}`).toBe(4)
    expect(active.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('lease lost for good'))).toBe(true)
    expect(svc.textsIn(room).some((t) => t.includes('Bob'))).toBe(false)

    // the new active runs on; stopped cleanly, it leaves the store as it was
    await standby.ready(60_000)
    expect(await standby.stop()).toBe(0)

    // nothing of the woken process is in the database: no row names Bob …
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      const { rows } = await c.query<{ key: string }>(`SELECT key FROM siyu_kv WHERE key LIKE '%wxid_bob%' OR value::text LIKE '%wxid_bob%'`)
      expect(rows.map((r) => r.key)).toEqual([])
    } finally {
      await c.end()
    }
    // … while what it stored before it froze is there
    const adapter = new PostgresAdapter(url)
    await adapter.open()
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:fans/'))
    expect(book.get('wxid_alice')?.total).toBe(10)
    expect(book.get('wxid_bob')).toBeUndefined()
    expect(book.ledger().map((e) => e.member)).toEqual(['wxid_alice'])
    await store.close()
  }, 240_000)

  /** End the lease session (`siyu lease`) the process holds open: PostgreSQL knows it by the client's port. */
  async function endLeaseSessionOf(pid: number): Promise<number> {
    const ports = [...(await tcpPortsOf(pid))]
    const c = new pg.Client({ connectionString: pgc.cluster.url })
    await c.connect()
    try {
      const { rows } = await c.query<{ ended: boolean }>(
        `SELECT pg_terminate_backend(pid) AS ended FROM pg_stat_activity WHERE application_name = 'siyu lease' AND client_port = ANY($1::int[])`,
        [ports],
      )
      return rows.filter((r) => r.ended).length
    } finally {
      await c.end()
    }
  }
})

/** The local ports of a process's TCP sockets (Linux: its fds' socket inodes, looked up in /proc/net/tcp*). */
async function tcpPortsOf(pid: number): Promise<Set<number>> {
  const inodes = new Set<string>()
  for (const fd of await readdir(`/proc/${pid}/fd`)) {
    const m = /^socket:\[(\d+)\]$/.exec(await readlink(`/proc/${pid}/fd/${fd}`).catch(() => ''))
    if (m) inodes.add(m[1]!)
  }
  const ports = new Set<number>()
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    for (const line of (await readFile(table, 'utf8').catch(() => '')).split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/)
      if (cols.length > 9 && inodes.has(cols[9]!)) ports.add(parseInt(cols[1]!.split(':').pop()!, 16))
    }
  }
  return ports
}

function lastLines(b: BotProcess): string {
  return b.logs
    .slice(-10)
    .map((l) => l.msg)
    .join(' | ')
}
