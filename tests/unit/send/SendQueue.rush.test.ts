import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { SendQueue, type EnqueueOptions, type SendResult, type Transport } from '../../../src/send/SendQueue.js'

interface Sent {
  at: number
  to: string
  text: string
  mentionIds: string[]
}

const limits = { roomPerMinute: 20, totalPerMinute: 60 }

function recorder(clock: FakeClock, fail?: (n: number, text: string) => Error | undefined) {
  const sent: Sent[] = []
  let calls = 0
  const transport: Transport = {
    async send(to, text, mentionIds) {
      const err = fail?.(calls++, text)
      // an ambiguous failure: WeChat took the text, the call then failed
      if (err && (err as { delivered?: boolean }).delivered) sent.push({ at: clock.now(), to, text, mentionIds })
      if (err) throw err
      sent.push({ at: clock.now(), to, text, mentionIds })
    },
  }
  return { sent, transport, calls: () => calls }
}

function capturingLog() {
  const lines: Array<Record<string, unknown> & { msg: string; level: number }> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s)) })
  return { log, lines }
}

/** Texts that each go out as a message of their own (what is tested is the queue, not merging). */
const ALONE = { kind: 'owed', mergeable: false, because: 'person' } as const
/** A distinct informational reply that stands alone (a list): its own key, nobody to coalesce with. */
const answer = (key: string): EnqueueOptions => ({ kind: 'info', mergeable: false, coalesce: { key } })

/** Fill a room's minute with unmergeable texts so what comes next has to wait. */
function saturate(q: SendQueue, room: string, n = 20): Promise<SendResult>[] {
  return Array.from({ length: n }, (_, i) => q.enqueue(room, [`filler ${i}`], ALONE))
}

const ask = (key: string, id: string, name = id): EnqueueOptions => ({ kind: 'info', coalesce: { key, asker: { id, name } }, mergeable: false })

describe('SendQueue under a rush', () => {
  it('sends an owed confirmation before informational replies that were queued earlier', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 500] })
    for (let i = 0; i < 30; i++) void q.enqueue('r@chatroom', [`answer ${i}`], answer(`answer ${i}`))
    const owed = q.enqueue('r@chatroom', ['Alice 签到成功 +10'], { kind: 'owed' })
    await clock.advance(1_000)
    // the first informational reply was already out; the confirmation is the very next message
    const at = sent.findIndex((s) => s.text.includes('签到成功'))
    expect(at).toBeLessThanOrEqual(1)
    expect(await owed).toEqual({ sent: true })
  })

  it('across rooms, a room with an owed text goes before rooms with only informational ones', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits: { roomPerMinute: 20, totalPerMinute: 3 }, gapMs: [500, 500] })
    for (let r = 0; r < 4; r++) for (let i = 0; i < 5; i++) void q.enqueue(`info${r}@chatroom`, [`answer ${r}.${i}`], answer(`answer ${r}.${i}`))
    void q.enqueue('owed@chatroom', ['Bob 签到成功'], { kind: 'owed' })
    await clock.advance(59_000)
    // three sends allowed this minute: the owed one is among them although it was queued last
    expect(sent).toHaveLength(3)
    expect(sent.map((s) => s.to)).toContain('owed@chatroom')
  })

  it('an owed confirmation merges with others and never waits behind a backlog of answers', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits })
    // a rush: 10 questions and 2 check-ins a second into one room for 3 minutes
    const confirmations: Array<{ at: number; name: string; done: Promise<SendResult> }> = []
    for (let s = 0; s < 180; s++) {
      for (let i = 0; i < 10; i++) void q.enqueue('r@chatroom', [`answer to question ${s}.${i}`], answer(`answer to question ${s}.${i}`))
      for (let i = 0; i < 2; i++) {
        const name = `m${s}_${i}`
        confirmations.push({ at: clock.now(), name, done: q.enqueue('r@chatroom', [`${name} 签到成功 +10`], { kind: 'owed' }) })
      }
      await clock.advance(1_000)
    }
    await clock.advance(60_000)
    for (const c of confirmations) {
      expect(await c.done).toEqual({ sent: true })
      const when = sent.find((s) => s.text.split('\n').includes(`${c.name} 签到成功 +10`))!.at
      expect(when - c.at).toBeLessThan(120_000)
    }
    // merged: 360 confirmations in far fewer messages, within the room's limit
    expect(sent.filter((s) => s.text.includes('签到成功')).length).toBeLessThan(60)
  })

  it('coalesces the same reply waiting for a room and @s every asker in the one that goes out', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 500] })
    saturate(q, 'r@chatroom')
    const asked: Promise<SendResult>[] = []
    for (let i = 0; i < 10; i++) asked.push(q.enqueue('r@chatroom', ['直播预告：今晚 20:00 新品'], ask('live:list', `wxid_${i}`, `会员${i}`)))
    // the same member asking twice is named once
    asked.push(q.enqueue('r@chatroom', ['直播预告：今晚 20:00 新品'], ask('live:list', 'wxid_3', '会员3')))
    await clock.advance(3 * 60_000)
    const lists = sent.filter((s) => s.text.includes('直播预告'))
    expect(lists).toHaveLength(1)
    expect(lists[0]!.mentionIds).toEqual(Array.from({ length: 10 }, (_, i) => `wxid_${i}`))
    expect(lists[0]!.text).toBe(`${Array.from({ length: 10 }, (_, i) => `@会员${i}\u2005`).join('')}直播预告：今晚 20:00 新品`)
    const results = await Promise.all(asked)
    expect(results[0]).toEqual({ sent: true })
    expect(results.slice(1).every((r) => r.sent && r.coalesced)).toBe(true)
    expect(q.stats.coalesced).toBe(10)
  })

  it('a reply only one member asked for is sent as the skill wrote it, with no mention added', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits })
    const r = q.enqueue('r@chatroom', ['积分榜 TOP10'], ask('checkin:rank', 'wxid_a', 'A'))
    await clock.advance(1_000)
    expect(await r).toEqual({ sent: true })
    expect(sent.map((s) => [s.text, s.mentionIds])).toEqual([['积分榜 TOP10', []]])
  })

  it('names at most 20 askers and counts the rest', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 500] })
    saturate(q, 'r@chatroom')
    for (let i = 0; i < 35; i++) void q.enqueue('r@chatroom', ['积分榜'], ask('rank', `wxid_${i}`, `m${i}`))
    await clock.advance(3 * 60_000)
    const board = sent.find((s) => s.text.endsWith('积分榜'))!
    expect(board.mentionIds).toHaveLength(20)
    expect(board.text).toContain('等 35 人 积分榜')
  })

  it('a new ask after the reply went out queues it again (one per burst)', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 500] })
    await Promise.all([q.enqueue('r@chatroom', ['list'], ask('k', 'a')), clock.advance(1_000)])
    await Promise.all([q.enqueue('r@chatroom', ['list'], ask('k', 'b')), clock.advance(1_000)])
    expect(sent.map((s) => s.text)).toEqual(['list', 'list'])
  })

  it('drops an informational reply not sent within 2 minutes, keeps owed texts, logs once per room and minute', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const { log, lines } = capturingLog()
    const q = new SendQueue(transport, { clock, limits, log })
    q.pause() // nothing can go out: everything waits
    const answers: Promise<SendResult>[] = []
    const owed: Promise<SendResult>[] = []
    // 5 minutes of asking: 2 distinct answers a second, and a confirmation every 10 s
    for (let s = 0; s < 300; s++) {
      answers.push(q.enqueue('r@chatroom', [`answer ${s}.a`], { kind: 'info' }), q.enqueue('r@chatroom', [`answer ${s}.b`], { kind: 'info' }))
      if (s % 10 === 0) owed.push(q.enqueue('r@chatroom', [`owed ${s}`], { kind: 'owed' }))
      await clock.advance(1_000)
    }
    const settled = await Promise.all(answers.slice(0, 2 * 170))
    expect(settled.every((r) => !r.sent && r.cause === 'expired')).toBe(true)
    // everything asked in the first 180 s is gone by 300 s
    expect(q.stats.droppedByKind).toEqual({ owed: 0, info: 362, scheduled: 0 })
    const dropLines = lines.filter((l) => l.msg.startsWith('informational replies dropped'))
    // about 3 minutes of drops: one line per minute, not one per text
    expect(dropLines.length).toBeGreaterThanOrEqual(2)
    expect(dropLines.length).toBeLessThanOrEqual(4)
    expect(dropLines.reduce((n, l) => n + (l.dropped as number), 0)).toBeLessThanOrEqual(362)
    // back online: every owed text goes out, none was dropped
    q.resume()
    await clock.advance(5 * 60_000)
    expect((await Promise.all(owed)).every((r) => r.sent)).toBe(true)
    expect(sent.map((s) => s.text).join('\n')).toContain('owed 290')
  })

  it('keeps what waits for a room within what its limit sends in a few minutes, whatever the rush', async () => {
    const clock = new FakeClock()
    const { transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, backlogMinutes: 3 })
    q.pause()
    // 20,000 distinct unmergeable answers in one minute: far more than 3 × 20 messages
    for (let i = 0; i < 20_000; i++) void q.enqueue('r@chatroom', [`answer ${i}`], answer(`answer ${i}`))
    await clock.advance(0)
    expect(q.pending).toBe(60)
    expect(q.stats.droppedByCause.full).toBe(20_000 - 60)
    // an owed text still gets in, pushing out the oldest answer
    void q.enqueue('r@chatroom', ['owed'], ALONE)
    expect(q.pending).toBe(60)
    expect(q.stats.droppedByKind.owed).toBe(0)
  })

  it('owed texts past the bound with no informational reply left to push out: every one kept, and sent after the pause', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const { log, lines } = capturingLog()
    // a room's bound: 10 a minute × 3 minutes = 30 messages
    const q = new SendQueue(transport, { clock, limits: { roomPerMinute: 10, totalPerMinute: 60 }, backlogMinutes: 3, maxLength: 100, log })
    q.pause()
    // 80 confirmations that cannot merge: each is longer than half a message, so each is a message of its own
    const text = (i: number) => `owed ${String(i).padStart(2, '0')} ${'确认'.repeat(30)}`
    const owed = Array.from({ length: 80 }, (_, i) => q.enqueue('r@chatroom', [text(i)], { kind: 'owed' }))
    await clock.advance(0)
    expect(q.pending).toBe(80)
    expect(q.stats.dropped).toBe(0)
    // said once (not once per text): the room owes more than its limit sends in the next minutes
    expect(lines.filter((l) => l.msg.startsWith('owed texts waiting for a room exceed'))).toHaveLength(1)
    q.resume()
    await clock.advance(10 * 60_000)
    expect((await Promise.all(owed)).every((r) => r.sent)).toBe(true)
    expect(sent.map((s) => s.text)).toEqual(Array.from({ length: 80 }, (_, i) => text(i)))
    expect(q.stats.dropped).toBe(0)
  })

  it('writes ONE summary line at close for everything still waiting', async () => {
    const clock = new FakeClock()
    const { transport } = recorder(clock)
    const { log, lines } = capturingLog()
    const q = new SendQueue(transport, { clock, limits, log })
    q.pause()
    const all: Promise<SendResult>[] = []
    for (let i = 0; i < 300; i++) all.push(q.enqueue(`r${i % 5}@chatroom`, [`t${i}`], i % 3 === 0 ? { kind: 'owed' } : { kind: 'info' }))
    await q.close(0)
    const results = await Promise.all(all)
    expect(results.every((r) => r.cause === 'shutdown')).toBe(true)
    const warned = lines.filter((l) => l.level >= 40)
    expect(warned).toHaveLength(1)
    expect(warned[0]).toMatchObject({ msg: 'shutting down with texts still waiting: not sent', texts: 300, owed: 100, info: 200, conversations: 5 })
  })

  it('withdraws the waiting texts of a tag, and only those', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock)
    const q = new SendQueue(transport, { clock, limits, gapMs: [500, 500] })
    saturate(q, 'a@chatroom')
    const dropped: string[] = []
    const reminderA = q.enqueue('a@chatroom', ['【直播预告】新品 10分钟后开播'], { kind: 'scheduled', tag: 'live:x', onDropped: (r) => dropped.push(r) })
    const otherLive = q.enqueue('a@chatroom', ['【直播预告】别的直播'], { kind: 'scheduled', tag: 'live:y' })
    await clock.advance(0)
    expect(q.withdraw('live:x')).toBe(1)
    expect(await reminderA).toMatchObject({ sent: false, cause: 'withdrawn' })
    expect(dropped).toEqual(['withdrawn (live:x)'])
    await clock.advance(2 * 60_000)
    expect(await otherLive).toEqual({ sent: true })
    expect(sent.some((s) => s.text.includes('新品'))).toBe(false)
    expect(q.withdraw('live:x')).toBe(0)
  })
})

describe('SendQueue after an ambiguous send error', () => {
  const deadline = () => Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4, delivered: true })

  it('does not send a reminder twice when WeChat took it but the call timed out', async () => {
    const clock = new FakeClock()
    const { sent, transport, calls } = recorder(clock, (n) => (n === 0 ? deadline() : undefined))
    const { log, lines } = capturingLog()
    const q = new SendQueue(transport, { clock, limits, log, retryBaseMs: 100 })
    const states: string[] = []
    const reminder = q.enqueue('r@chatroom', ['【直播预告】新品 10分钟后开播'], {
      kind: 'scheduled',
      beforeSend: async () => void states.push('sending'),
      onSent: () => states.push('sent'),
      onDropped: (why) => states.push(`dropped: ${why}`),
    })
    await clock.advance(60_000)
    // today's queue retries it: the members would see the reminder twice
    expect(sent.filter((s) => s.text.includes('直播预告'))).toHaveLength(1)
    expect(calls()).toBe(1)
    expect(await reminder).toMatchObject({ sent: false, cause: 'ambiguous' })
    expect(states).toEqual(['sending', expect.stringMatching(/^dropped: possibly delivered, not retried: 4 DEADLINE_EXCEEDED/)])
    expect(lines.some((l) => l.level === 40 && /at most once/.test(l.msg))).toBe(true)
  })

  it('a text with beforeSend counts as at-most-once, whatever its kind', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock, (n) => (n === 0 ? deadline() : undefined))
    const q = new SendQueue(transport, { clock, limits, retryBaseMs: 100 })
    void q.enqueue('r@chatroom', ['start'], { kind: 'owed', beforeSend: async () => {} })
    await clock.advance(60_000)
    expect(sent.map((s) => s.text)).toEqual(['start'])
  })

  it('still retries a reminder the puppet never got (no connection), and owed texts after a timeout', async () => {
    const clock = new FakeClock()
    const refused = () => Object.assign(new Error('14 UNAVAILABLE: No connection established'), { code: 14 })
    // call 0: the reminder, refused; 1: its retry; 2: the confirmation, timed out; 3: its retry
    const { sent, transport } = recorder(clock, (n) => (n === 0 ? refused() : n === 2 ? deadline() : undefined))
    const q = new SendQueue(transport, { clock, limits, retryBaseMs: 100 })
    const reminder = q.enqueue('a@chatroom', ['reminder'], { kind: 'scheduled', mergeable: false, because: 'mentions' })
    await clock.advance(10_000)
    expect(await reminder).toEqual({ sent: true })
    // a confirmation is better twice than never: it is retried after the timeout
    const owed = q.enqueue('b@chatroom', ['Alice 签到成功'], { kind: 'owed' })
    await clock.advance(10_000)
    expect(await owed).toEqual({ sent: true })
    expect(sent.map((s) => s.text)).toEqual(['reminder', 'Alice 签到成功', 'Alice 签到成功'])
  })

  it('a merged message with a reminder and confirmations: the reminder is not retried, the confirmations are', async () => {
    const clock = new FakeClock()
    const { sent, transport } = recorder(clock, (n) => (n === 1 ? deadline() : undefined))
    const q = new SendQueue(transport, { clock, limits, retryBaseMs: 100, gapMs: [1000, 1000] })
    void q.enqueue('r@chatroom', ['first'], { kind: 'owed' })
    await clock.advance(0)
    // these wait behind the first and go out merged
    const reminder = q.enqueue('r@chatroom', ['reminder'], { kind: 'scheduled' })
    const owed = q.enqueue('r@chatroom', ['Bob 签到成功'], { kind: 'owed' })
    await clock.advance(30_000)
    expect(await reminder).toMatchObject({ cause: 'ambiguous' })
    expect(await owed).toEqual({ sent: true })
    expect(sent.map((s) => s.text)).toEqual(['first', 'reminder\nBob 签到成功', 'Bob 签到成功'])
  })
})
