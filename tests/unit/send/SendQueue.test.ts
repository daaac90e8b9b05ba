import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { SendQueue, type Transport } from '../../../src/send/SendQueue.js'
import { MAX_TEXT_LENGTH } from '../../../src/text/Outgoing.js'

interface Sent {
  at: number
  to: string
  text: string
  mentionIds: string[]
}

function recorder(clock: FakeClock, failures: (n: number) => boolean = () => false) {
  const sent: Sent[] = []
  let calls = 0
  const transport: Transport = {
    async send(to, text, mentionIds) {
      if (failures(calls++)) throw new Error('puppet said no')
      sent.push({ at: clock.now(), to, text, mentionIds })
    },
  }
  return { sent, transport, calls: () => calls }
}

/** The most sends in any 60 s window, overall or for one conversation. */
function maxInWindow(sent: Sent[], to?: string): number {
  const ts = sent.filter((s) => !to || s.to === to).map((s) => s.at)
  let best = 0
  for (let i = 0; i < ts.length; i++) {
    let j = i
    while (j < ts.length && ts[j]! < ts[i]! + 60_000) j++
    best = Math.max(best, j - i)
  }
  return best
}

const limits = { roomPerMinute: 20, totalPerMinute: 60 }
/** Texts that each go out as a message of their own (what is tested is the queue's pacing, not merging). */
const ALONE = { kind: 'owed', mergeable: false, because: 'person' } as const
const OWED = { kind: 'owed' } as const

describe('SendQueue', () => {
  it('never exceeds the per-room and total limits, and sends everything', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits })
    const rooms = ['a@chatroom', 'b@chatroom', 'c@chatroom', 'd@chatroom', 'e@chatroom']
    const results = []
    for (let i = 0; i < 300; i++) results.push(q.enqueue(rooms[i % 5]!, [`msg ${i}`], ALONE))
    await clock.advance(10 * 60_000)
    expect((await Promise.all(results)).every((r) => r.sent)).toBe(true)
    expect(sent).toHaveLength(300)
    expect(maxInWindow(sent)).toBeLessThanOrEqual(60)
    for (const r of rooms) expect(maxInWindow(sent, r)).toBeLessThanOrEqual(20)
    // and it does use the budget: 300 at 60/min is 5 minutes at best; jitter adds a little
    expect(sent[sent.length - 1]!.at - sent[0]!.at).toBeLessThan(6 * 60_000)
  })

  it('a reload’s new limits keep the last minute’s sends: 20 texts, then 25 a minute — never more than 25 in any 60 s, per room and in total', async () => {
    const clock = new FakeClock()
    const rooms = ['a@chatroom', 'b@chatroom', 'c@chatroom', 'd@chatroom']
    // the room's window: one room, a total limit far above it
    const oneRoom = recorder(clock)
    const roomQ = new SendQueue(oneRoom.transport, { clock, limits: { roomPerMinute: 20, totalPerMinute: 100 } })
    // the total window: texts spread over rooms, each far below its room limit
    const spread = recorder(clock)
    const totalQ = new SendQueue(spread.transport, { clock, limits: { roomPerMinute: 100, totalPerMinute: 20 } })
    const textsTo = (q: SendQueue) => (q === roomQ ? ['a@chatroom'] : rooms)
    // a text every 1.5 s into each queue: it goes out before the next comes, until a limit holds them
    const feed = async (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        for (const q of [roomQ, totalQ]) void q.enqueue(textsTo(q)[i % textsTo(q).length]!, [`text ${i}`], { kind: 'owed' })
        await clock.advance(1_500)
      }
    }
    await feed(0, 20)
    expect(oneRoom.sent).toHaveLength(20)
    expect(spread.sent).toHaveLength(20)
    // #reload with bot.rateLimit at 25 a minute, 30 s after the first of those 20 went out
    roomQ.setLimits({ roomPerMinute: 25, totalPerMinute: 100 })
    totalQ.setLimits({ roomPerMinute: 100, totalPerMinute: 25 })
    await feed(20, 80)
    await clock.advance(10 * 60_000)
    for (const [q, { sent }] of [[roomQ, oneRoom], [totalQ, spread]] as const) {
      // everything went out (merged where it waited), each room's texts in order
      textsTo(q).forEach((to, r, all) => {
        const lines = sent.filter((s) => s.to === to).flatMap((s) => s.text.split('\n'))
        expect(lines).toEqual(Array.from({ length: 100 }, (_, i) => i).filter((i) => i % all.length === r).map((i) => `text ${i}`))
      })
      // the new limit is used, and never exceeded: the sends before the reload count
      expect(maxInWindow(sent)).toBe(25)
    }
    expect(maxInWindow(oneRoom.sent, 'a@chatroom')).toBe(25)
  })

  it('spaces messages by the jitter gap', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 1000] })
    for (let i = 0; i < 10; i++) void q.enqueue(`r${i}@chatroom`, [`m${i}`], OWED)
    await clock.advance(60_000)
    expect(sent).toHaveLength(10)
    for (let i = 1; i < sent.length; i++) {
      const gap = sent[i]!.at - sent[i - 1]!.at
      expect(gap).toBeGreaterThanOrEqual(500)
      expect(gap).toBeLessThanOrEqual(1000)
    }
  })

  it('merges a backlogged room into few messages, keeping order and the length limit', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits })
    const all = []
    for (let i = 0; i < 200; i++) {
      all.push(q.enqueue('room@chatroom', [{ mention: `wxid_${i}`, name: `member${i}` }, ` 签到成功 +10 (${i})`], OWED))
    }
    await clock.advance(30_000)
    expect((await Promise.all(all)).every((r) => r.sent)).toBe(true)
    expect(sent.length).toBeLessThan(10)
    expect(sent.length).toBeGreaterThan(1)
    const lines = sent.flatMap((s) => s.text.split('\n'))
    expect(lines).toHaveLength(200)
    lines.forEach((l, i) => expect(l).toContain(`(${i})`))
    for (const s of sent) expect([...s.text].length).toBeLessThanOrEqual(MAX_TEXT_LENGTH)
    expect(sent.flatMap((s) => s.mentionIds)).toHaveLength(200)
    expect(q.stats.merged).toBe(200 - sent.length)
  })

  it('retries a failed send and keeps the room in order', async () => {
    const clock = new FakeClock()
    const { sent, transport, calls } = recorder(clock, (n) => n < 2)
    const q = new SendQueue(transport, { clock, limits, retryBaseMs: 1000 })
    const first = q.enqueue('r@chatroom', ['first'], ALONE)
    const second = q.enqueue('r@chatroom', ['second'], ALONE)
    await clock.advance(30_000)
    expect(await first).toEqual({ sent: true })
    expect(await second).toEqual({ sent: true })
    expect(sent.map((s) => s.text)).toEqual(['first', 'second'])
    expect(calls()).toBe(4)
    expect(q.stats.retries).toBe(2)
  })

  it('gives up after its tries and says so', async () => {
    const clock = new FakeClock()
    const { transport, calls } = recorder(clock, () => true)
    const q = new SendQueue(transport, { clock, limits, maxAttempts: 3, retryBaseMs: 100 })
    const dropped: string[] = []
    const r = q.enqueue('r@chatroom', ['x'], { ...OWED, onDropped: (why) => dropped.push(why) })
    await clock.advance(60_000)
    expect(await r).toMatchObject({ sent: false })
    expect(calls()).toBe(3)
    expect(dropped[0]).toMatch(/puppet said no/)
  })

  it('spends no tries while disconnected and sends once back online', async () => {
    const clock = new FakeClock()
    let online = false
    const sent: string[] = []
    const q = new SendQueue(
      {
        async send(_to, text) {
          if (!online) throw new Error('14 UNAVAILABLE')
          sent.push(text)
        },
        connected: () => online,
      },
      { clock, limits, maxAttempts: 2, retryBaseMs: 100 },
    )
    const r = q.enqueue('r@chatroom', ['owed'], OWED)
    await clock.advance(10 * 60_000)
    expect(sent).toEqual([])
    online = true
    await clock.advance(60_000)
    expect(await r).toEqual({ sent: true })
    expect(sent).toEqual(['owed'])
  })

  it('holds everything while paused', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits })
    q.pause()
    void q.enqueue('r@chatroom', ['a'], OWED)
    await clock.advance(60_000)
    expect(sent).toHaveLength(0)
    q.resume()
    await clock.advance(5_000)
    expect(sent).toHaveLength(1)
  })

  it('waits for the store before confirming, and never confirms what failed to store', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits: false })
    let stored!: () => void
    const ok = q.enqueue('r@chatroom', ['confirmed'], { ...OWED, after: new Promise<void>((r) => (stored = r)) })
    const bad = q.enqueue('s@chatroom', ['never'], { ...OWED, after: Promise.reject(new Error('disk full')) })
    await clock.advance(1_000)
    expect(sent).toHaveLength(0)
    stored()
    await clock.advance(1_000)
    expect(await ok).toEqual({ sent: true })
    expect(await bad).toMatchObject({ sent: false, reason: expect.stringMatching(/disk full/) })
    expect(sent.map((s) => s.text)).toEqual(['confirmed'])
  })

  it('a later text of a room never overtakes an earlier one waiting for the store', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits: false })
    let stored!: () => void
    void q.enqueue('r@chatroom', ['1'], { ...ALONE, after: new Promise<void>((r) => (stored = r)) })
    void q.enqueue('r@chatroom', ['2'], ALONE)
    await clock.advance(1_000)
    expect(sent).toHaveLength(0)
    stored()
    await clock.advance(1_000)
    expect(sent.map((s) => s.text)).toEqual(['1', '2'])
  })
})
