import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { WelcomeSkill } from '../../../skills/welcome/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { harness, type Harness } from '../../helpers/harness.js'

/**
 * A pending welcome batch is owed: a "restart" is a second harness over the same
 * MemoryAdapter on a clock moved forward (what a new process finds after the old one was
 * killed); the old one's timers are gone (engine.stop), as they are with its process.
 */
const yaml = `
bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { text: "欢迎 {names}，第 {count} 位", batchSeconds: 60 }
`
const T0 = Date.UTC(2026, 10, 26, 2, 0, 0)

async function boot(adapter: MemoryAdapter, at: number) {
  const clock = new FakeClock(at)
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  // jobs run once the rooms are known (after the login), as in the runtime
  const h = await harness(yaml, { skills: [WelcomeSkill], clock, adapter, log, roomsReady: false })
  const room = h.room('粉丝1群', 'room1@chatroom')
  h.engine.markRoomsReady()
  await h.flush()
  return { h, lines, room }
}

/** The process dies: nothing more runs; what was committed is what the next one finds. */
function kill(h: Harness): void {
  h.engine.stop()
}

const welcomes = (h: Harness) => h.sent.map((s) => s.mentionIds)

describe('welcome: a pending batch survives a crash', () => {
  it('a restart inside the window: the welcome goes out once, at the window end, @-ing everyone', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, T0)
    await first.h.join(first.room, [first.h.member('A')], 11)
    await first.h.clock.advance(20_000)
    await first.h.join(first.room, [first.h.member('B'), first.h.member('C')], 13)
    await first.h.leave(first.room, [first.h.member('C')], 12)
    kill(first.h)

    const second = await boot(adapter, T0 + 30_000)
    expect(second.h.sent).toEqual([])
    await second.h.clock.advance(29_999)
    expect(second.h.sent).toEqual([])
    await second.h.clock.advance(1)
    await second.h.flush()
    expect(welcomes(second.h)).toEqual([['wxid_a', 'wxid_b']])
    expect(second.h.sent[0]!.text).toMatch(/，第 13 位$/) // the count as of the last join
    expect(first.h.sent).toEqual([])
    // nothing left behind: the batch and its job are gone, and a third start sends nothing
    expect(second.h.store.keys('welcome/')).toEqual([])
    expect(second.h.store.keys('core/jobs/welcome/')).toEqual([])
    kill(second.h)
    const third = await boot(adapter, T0 + 120_000)
    await third.h.clock.advance(600_000)
    expect(third.h.sent).toEqual([])
  })

  it('down past the window but less than 10 minutes: sent once, late, at the start', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, T0)
    await first.h.join(first.room, [first.h.member('A')])
    kill(first.h)
    const second = await boot(adapter, T0 + 60_000 + 9 * 60_000)
    expect(welcomes(second.h)).toEqual([['wxid_a']])
    await second.h.clock.advance(3_600_000)
    expect(second.h.sent).toHaveLength(1)
  })

  it('more than 10 minutes late: dropped with a log line, and its records removed', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, T0)
    await first.h.join(first.room, [first.h.member('A'), first.h.member('B')])
    kill(first.h)
    const second = await boot(adapter, T0 + 60_000 + 11 * 60_000)
    expect(second.h.sent).toEqual([])
    expect(second.lines.filter((l) => String(l.msg).startsWith('a welcome was not sent'))).toEqual([
      expect.objectContaining({ level: 40, room: 'room1@chatroom', newcomers: 2, msg: 'a welcome was not sent: it is 11 minutes late (the bot was down); at most 10 are allowed' }),
    ])
    expect(second.h.store.keys('welcome/')).toEqual([])
    expect(second.h.store.keys('core/jobs/welcome/')).toEqual([])
    // the next joiner opens a fresh window
    await second.h.join(second.room, [second.h.member('D')])
    await second.h.clock.advance(60_000)
    expect(welcomes(second.h)).toEqual([['wxid_d']])
  })

  it('a reload inside the window neither loses nor doubles the batch', async () => {
    const adapter = new MemoryAdapter()
    const { h, room } = await boot(adapter, T0)
    await h.join(room, [h.member('A')])
    await h.say(room, h.member('boss', 'wxid_boss'), '#reload')
    await h.join(room, [h.member('B')])
    await h.clock.advance(60_000)
    expect(h.sent.filter((s) => s.mentionIds.length > 0).map((s) => s.mentionIds)).toEqual([['wxid_a', 'wxid_b']])
  })
})
