import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { LeaseKeeper, StandbyStopped } from '../../../src/ha/LeaseKeeper.js'
import { PostgresAdapter, FencedError } from '../../../src/store/PostgresAdapter.js'
import { parsePgUrl } from '../../../src/store/postgres/connection.js'
import { postgresAvailable, usePostgres } from '../../helpers/postgres.js'
import { TcpProxy } from '../../helpers/TcpProxy.js'

const TIMING = { ttlMs: 2_000, renewEveryMs: 300, marginMs: 500, pollMs: 100 }

describe.runIf(postgresAvailable())('LeaseKeeper on a real PostgreSQL', () => {
  const pgc = usePostgres()
  let n = 0
  const setup = async () => {
    const a = new PostgresAdapter(`${pgc.cluster.url}?schema=l${++n}`)
    await a.open()
    const lines: string[] = []
    const log = pino({ level: 'info' }, { write: (s: string) => lines.push(JSON.parse(s).msg as string) })
    return { a, lines, keeper: (timing: Partial<typeof TIMING> = {}) => new LeaseKeeper(a.target, a.names, log, { ...TIMING, ...timing }) }
  }

  it('a frozen active stops sending before a standby can hold the lease; its late writes are fenced; it learns it lost', async () => {
    const { a, lines, keeper } = await setup()
    const active = keeper()
    const token = await active.acquire()
    expect(lines).toContain(`active: lease acquired (token ${token})`)
    a.fence(token)
    await a.commit([{ key: 'k/v', value: 1 }])
    expect(active.sending).toBe(true)

    // the active freezes (a long GC pause, a suspended VM): no more renewals
    const renew = (active as unknown as { renew: () => Promise<void> }).renew
    ;(active as unknown as { renew: () => Promise<void> }).renew = async () => {}
    const standby = keeper()
    let lostAt = 0
    void active.lost.then(() => (lostAt = performance.now()))
    let stoppedSendingAt = 0
    const watch = setInterval(() => {
      if (!stoppedSendingAt && !active.sending) stoppedSendingAt = performance.now()
    }, 5)
    const newToken = await standby.acquire()
    const acquiredAt = performance.now()
    clearInterval(watch)
    expect(newToken).toBe(token + 1)
    expect(stoppedSendingAt).toBeGreaterThan(0)
    expect(acquiredAt - stoppedSendingAt).toBeGreaterThanOrEqual(TIMING.marginMs - 50)
    expect(lines).toContain('lease lost: stopping sends')
    expect(lines).toContain('standby: waiting for the lease')

    // not one renewal within the lease's duration (its last look finds nothing either): lost for good
    await expect(active.lost).resolves.toMatch(/could not be renewed within its 2 s/)
    expect(lostAt - stoppedSendingAt).toBeLessThan(TIMING.ttlMs)
    // the old active wakes up: its commit is refused, its next renewal finds another token
    await expect(a.commit([{ key: 'k/v', value: 2 }])).rejects.toBeInstanceOf(FencedError)
    await renew.call(active)
    expect(active.sending).toBe(false)

    const b = new PostgresAdapter(a.url)
    await b.open()
    expect(await b.read('k/v')).toBe(1)
    await b.close()
    await standby.release()
    await active.close()
    await a.close()
  })

  it('cut off the database (every renewal a connection error): stops sending at the deadline, lost for good at the lease’s duration', async () => {
    const { a } = await setup()
    const proxy = await TcpProxy.start(pgc.cluster.port)
    try {
      // when each line was logged: the keeper logs in the same turn as it acts
      const logged = new Map<string, number>()
      const log = pino({ level: 'info' }, { write: (s: string) => void logged.set(JSON.parse(s).msg as string, performance.now()) })
      const active = new LeaseKeeper(parsePgUrl(proxy.via(a.url)), a.names, log, TIMING)
      await active.acquire()
      await new Promise((r) => setTimeout(r, 3 * TIMING.renewEveryMs))
      expect(active.sending).toBe(true)
      const cutAt = performance.now()
      proxy.cut()
      const reason = await active.lost
      expect(reason).toMatch(/could not be renewed within its 2 s/)
      expect(active.sending).toBe(false)
      const stoppedAt = logged.get('lease lost: stopping sends')!
      const lostAt = [...logged].find(([msg]) => msg.startsWith('lease lost for good'))![1]
      // sends stopped first (the margin before the lease could expire), then it was given up,
      // both counted from the last renewal that got through (before the cut)
      expect(stoppedAt - cutAt).toBeLessThan(TIMING.ttlMs - TIMING.marginMs + 250)
      expect(lostAt - stoppedAt).toBeGreaterThan(TIMING.marginMs / 2)
      // at the lease's end, one last look (as long as the margin) finds the database unreachable
      expect(lostAt - cutAt).toBeLessThan(TIMING.ttlMs + TIMING.marginMs + 250)
      // the standby, which reaches the database, can take it over now
      const standby = new LeaseKeeper(a.target, a.names, log, TIMING)
      await standby.acquire()
      await standby.release()
      await active.close()
    } finally {
      await proxy.close()
      await a.close()
    }
  })

  it('an active whose renewals stall past the lease (a slow database, a blocked event loop) but whose token is still its own keeps it', async () => {
    const { a, lines, keeper } = await setup()
    const active = keeper()
    const token = await active.acquire()
    // the scheduled renewals stall for longer than the lease, and nobody else takes it meanwhile;
    // only the last look at the lease's end gets through
    const inside = active as unknown as { renew: () => Promise<void>; onExpiry: () => void }
    const renew = inside.renew
    const onExpiry = inside.onExpiry
    let lastLook = false
    inside.renew = () => (lastLook ? renew.call(active) : Promise.resolve())
    inside.onExpiry = () => {
      lastLook = true
      onExpiry.call(active)
    }
    await new Promise((r) => setTimeout(r, TIMING.ttlMs - TIMING.marginMs + 100))
    expect(active.sending).toBe(false)
    await new Promise((r) => setTimeout(r, TIMING.marginMs + TIMING.marginMs))
    expect(lastLook).toBe(true)
    expect(active.sending).toBe(true)
    expect(lines).toContain('lease renewed: sending again')
    expect(lines.some((l) => l.startsWith('lease lost for good'))).toBe(false)
    a.fence(token)
    await a.commit([{ key: 'k/v', value: 3 }])
    await active.release()
    await a.close()
  })

  it('a clean release lets the standby in at its next look; an aborted wait ends with StandbyStopped', async () => {
    const { a, keeper } = await setup()
    // a long lease: only a release can let the standby in within seconds
    const first = keeper({ ttlMs: 30_000 })
    await first.acquire()
    const second = keeper()
    const third = keeper()
    // a standby's wait: `found` once it has looked and found the lease held (acquire's whileWaiting)
    const standby = (k: LeaseKeeper, signal?: AbortSignal) => {
      let held!: () => void
      const heldSeen = new Promise<void>((r) => (held = r))
      const acquired = k.acquire(async () => held(), signal)
      return { found: Promise.race([heldSeen, acquired.then(() => Promise.reject(new Error('took the lease instead of waiting')))]), acquired }
    }
    const waiting = standby(second)
    const ac = new AbortController()
    const aborting = standby(third, ac.signal)
    await Promise.all([waiting.found, aborting.found])
    ac.abort()
    await expect(aborting.acquired).rejects.toBeInstanceOf(StandbyStopped)
    const releasedAt = performance.now()
    await first.release()
    const tookMs = await Promise.race([waiting.acquired.then(() => performance.now() - releasedAt), new Promise<number>((r) => setTimeout(() => r(Infinity), 10_000))])
    expect(tookMs, 'ms from the release until the standby held the lease (it lasts 30 s)').toBeLessThan(10_000)
    await second.release()
    await third.close()
    await a.close()
  })
})
