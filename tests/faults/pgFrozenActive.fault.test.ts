import { readdir, readFile, readlink } from 'node:fs/promises'
import { DateTime } from 'luxon'
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
      live:
        remind: [1m]
        remindText: "【直播预告】{title} {in}后开播"
`

/**
 * Fencing as the running bot wires it (src/ha/openStorage.ts): an active that stalls past its
 * lease — a VM paused, a long GC, here SIGSTOP — while the standby takes the lease over must not
 * write one more thing when it wakes up, and must exit 4.
 *
 * What can stop it: its lease keeper (a renewal that finds another token, or a lease not renewed
 * within its duration) and the fence on every commit. Two things are waiting for it when it
 * wakes, and both would write before the keeper has said a word:
 * - a reminder that fell due while it slept: its timer is older than the lease keeper's, so it
 *   fires first, in the same turn of the event loop, and the job and the delivery are written;
 * - a check-in queued for it over gRPC while it slept. The database also ended its lease session
 *   meanwhile (as a server-side keepalive or a proxy's idle timeout would), so its first renewal
 *   fails as a connection error, which says nothing about who holds the lease.
 * Only the fence keeps those writes out of the database, where the new active's state is now.
 *
 * The two processes talk to two puppet services (two accounts): the mock's PuppetServer serves one
 * client at a time, and the frozen process keeps its stream open. The new active never sees the
 * frozen one's room, so whatever names that room (or Bob, who checked in to it) and was written
 * after the freeze came from the frozen process.
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

  it('woken up, nothing of it lands in the database (a reminder due and a check-in queued while it slept) and it exits 4; the new active sends the reminder', async () => {
    const svc = activeWorld.svc
    const boss = svc.contact('老板', 'wxid_boss')
    const alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const room = svc.room('粉丝1群', [boss, alice, bob])
    const standbyRoom = standbyWorld.svc.room('粉丝1群', [])
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
    // a live whose reminder (1 minute before) falls due 3 s into the freeze
    const dueAt = Date.now() + 20_000
    const startsAt = DateTime.fromMillis(dueAt + 60_000, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })
    boss.say(`#live add ${startsAt} 周末福利场`).to(room)
    await svc.waitForText(room, '已添加直播', 15_000)
    await new Promise((r) => setTimeout(r, dueAt - 3_000 - Date.now()))

    active.kill('SIGSTOP')
    expect(dueAt - Date.now(), 'frozen before the reminder fell due').toBeGreaterThan(1_000)
    const seqAtFreeze = await query<{ seq: string | null }>('SELECT max(seq) AS seq FROM siyu_kv').then((r) => Number(r[0]!.seq))
    const ended = await endLeaseSessionOf(active.pid!)
    expect(ended, 'the frozen process had one lease session').toBe(1)
    // a check-in for the frozen process: queued on its gRPC stream, handled when it wakes
    bob.say('签到').to(room)
    await standby.waitForLog((l) => typeof l.msg === 'string' && l.msg.startsWith('active: lease acquired'), 'the standby took the lease over', 60_000)

    active.kill('SIGCONT')
    const code = await Promise.race([active.exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 30_000))])
    expect(code, `the woken process: ${lastLines(active)}`).toBe(4)
    expect(active.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('lease lost for good'))).toBe(true)
    expect(svc.textsIn(room).some((t) => t.includes('Bob') || t.includes('【直播预告】'))).toBe(false)

    // the new active sends the reminder (late, within its 10 minutes), once; stopped, it exits 0
    await standby.ready(60_000)
    await standbyWorld.svc.waitForText(standbyRoom, '【直播预告】周末福利场', 60_000)
    expect(await standby.stop()).toBe(0)
    expect(standbyWorld.svc.textsIn(standbyRoom).filter((t) => t.includes('【直播预告】'))).toHaveLength(1)

    // nothing written after the freeze names the frozen process's room or Bob: all of that was its own
    const names = [room.id, encodeURIComponent(room.id), 'wxid_bob']
    const late = await query<{ key: string }>(
      `SELECT key FROM siyu_kv WHERE seq > $1 AND EXISTS (SELECT 1 FROM unnest($2::text[]) AS n WHERE strpos(key, n) > 0 OR strpos(coalesce(value::text, ''), n) > 0)`,
      [seqAtFreeze, names],
    )
    expect(late.map((r) => r.key)).toEqual([])
    // … while what it stored before it froze is there
    const adapter = new PostgresAdapter(url)
    await adapter.open()
    const store = new Store(adapter)
    const book = new PointsBook(await store.open('checkin/pool:fans/'))
    expect(book.get('wxid_alice')?.total).toBe(10)
    expect(book.get('wxid_bob')).toBeUndefined()
    expect(book.ledger().map((e) => e.member)).toEqual(['wxid_alice'])
    await store.close()
  }, 300_000)

  async function query<T extends pg.QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    try {
      return (await c.query<T>(sql, params)).rows
    } finally {
      await c.end()
    }
  }

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
