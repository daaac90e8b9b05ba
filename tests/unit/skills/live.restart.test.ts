import { DateTime } from 'luxon'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { Delivery } from '../../../skills/live/Deliveries.js'
import { LiveSkill } from '../../../skills/live/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { harness, type Harness } from '../../helpers/harness.js'

/**
 * A "restart" is a second harness over the same MemoryAdapter, on a clock moved forward:
 * what a new process finds on disk after the old one stopped (or crashed) at some point.
 */
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const CONFIG = `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
        lives: [{ id: d11, title: 双11返场直播, start: "2026-11-25 20:00" }]
        remind: [1h, 10m]
`

async function boot(adapter: MemoryAdapter, local: string, opts: { rooms?: boolean } = {}) {
  const clock = new FakeClock(sh(local))
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  const h = await harness(CONFIG, { skills: [LiveSkill], clock, adapter, log, roomsReady: opts.rooms !== false })
  // the rooms are known once logged in; a test can hold that back
  const room = opts.rooms === false ? { id: 'room1@chatroom', topic: '希思黎1群' } : h.room('希思黎1群', 'room1@chatroom')
  return { h, clock, lines, room }
}

/** The old process stops: everything it wrote is on disk, its timers are gone. */
async function stop(h: Harness): Promise<void> {
  await h.store.durable()
  h.engine.stop()
}

const reminders = (h: Harness) => h.texts('room1@chatroom').filter((t) => t.startsWith('【直播预告】'))

describe('live: across restarts', () => {
  it('a reminder that fell due while the bot was down is sent when at most 10 minutes late', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, '2026-11-25 18:00:00')
    await first.h.say(first.room, first.h.member('Alice'), '预约')
    await stop(first.h)

    const second = await boot(adapter, '2026-11-25 19:05:00')
    await second.h.flush()
    expect(second.h.sent.map((s) => [s.at, s.text])).toEqual([[sh('2026-11-25 19:05:00'), '【直播预告】双11返场直播 55分钟后开播（11月25日 20:00）']])
    await second.clock.advanceTo(sh('2026-11-25 20:00:00'))
    await second.h.flush()
    expect(reminders(second.h)).toHaveLength(2)
    // the subscription made before the restart is @-ed
    expect(second.h.sent.find((s) => s.text.startsWith('【开播啦】'))?.mentionIds).toEqual(['wxid_alice'])
  })

  it('one more than 10 minutes late is skipped and logged', async () => {
    const adapter = new MemoryAdapter()
    await stop((await boot(adapter, '2026-11-25 18:00:00')).h)

    const second = await boot(adapter, '2026-11-25 19:15:00')
    await second.h.flush()
    expect(second.h.sent).toEqual([])
    const missed = second.lines.find((l) => l.msg === 'job fell due while the bot was down and is too late now; skipped')
    expect(missed).toMatchObject({ job: 'c:d11|remind-1h', lateMs: 15 * 60_000 })
    // the next one still goes out on time, once
    await second.clock.advanceTo(sh('2026-11-25 19:50:00'))
    await second.h.flush()
    expect(reminders(second.h)).toEqual(['【直播预告】双11返场直播 10分钟后开播（11月25日 20:00）'])
  })

  it('when several fell due while down, only the latest is sent', async () => {
    const adapter = new MemoryAdapter()
    await stop((await boot(adapter, '2026-11-25 18:00:00')).h)
    // back at 19:54: the 1h reminder (19:00) is 54 min late, the 10m one (19:50) 4 min
    const second = await boot(adapter, '2026-11-25 19:54:00')
    await second.h.flush()
    expect(reminders(second.h)).toEqual(['【直播预告】双11返场直播 6分钟后开播（11月25日 20:00）'])
  })

  it('nothing sent before a restart is sent again after it', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, '2026-11-25 18:00:00')
    await first.clock.advanceTo(sh('2026-11-25 19:00:00'))
    await first.h.flush()
    expect(reminders(first.h)).toHaveLength(1)
    await stop(first.h)

    const second = await boot(adapter, '2026-11-25 19:01:00')
    await second.clock.advanceTo(sh('2026-11-25 21:00:00'))
    await second.h.flush()
    expect(second.h.texts('room1@chatroom').map((t) => t.split('（')[0])).toEqual(['【直播预告】双11返场直播 10分钟后开播', '【开播啦】双11返场直播'])
  })

  it('a text still waiting in the send queue at the restart is sent within 10 minutes, else skipped', async () => {
    for (const [restartAt, expected] of [
      ['2026-11-25 19:04:00', ['【直播预告】双11返场直播 56分钟后开播（11月25日 20:00）']],
      ['2026-11-25 19:11:00', []],
    ] as const) {
      const adapter = new MemoryAdapter()
      const first = await boot(adapter, '2026-11-25 18:00:00')
      first.h.queue.pause() // the puppet is gone: the reminder is queued but never handed over
      await first.clock.advanceTo(sh('2026-11-25 19:00:00'))
      await first.h.flush()
      expect(first.h.sent).toEqual([])
      await stop(first.h)

      const second = await boot(adapter, restartAt)
      await second.h.flush()
      expect(second.h.texts('room1@chatroom')).toEqual(expected)
      const d = second.h.store.get('live/group:sisley/sends/c:d11|remind-1h/room1@chatroom') as unknown as Delivery
      expect(d.parts).toEqual([expected.length > 0 ? 'sent' : 'skipped'])
      if (expected.length === 0) expect(second.lines.some((l) => String(l.msg).includes('was not sent: more than 10 minutes late'))).toBe(true)
    }
  })

  it('a text that may have reached the puppet (state "sending") is never sent again', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, '2026-11-25 18:00:00')
    first.h.queue.pause()
    await first.clock.advanceTo(sh('2026-11-25 19:00:00'))
    await first.h.flush()
    // the process died during the puppet call: beforeSend had recorded "sending"
    const key = 'live/group:sisley/sends/c:d11|remind-1h/room1@chatroom'
    const d = first.h.store.get(key) as unknown as Delivery
    first.h.store.set(key, { ...d, parts: ['sending'] })
    await stop(first.h)

    const second = await boot(adapter, '2026-11-25 19:01:00')
    await second.h.flush()
    await second.h.say(second.room, second.h.member('Boss', 'wxid_boss'), '#reload')
    await second.h.flush()
    expect(reminders(second.h)).toEqual([])
  })

  it('a due text waits for the rooms to be known after a start (login), within the 10 minutes', async () => {
    const adapter = new MemoryAdapter()
    await stop((await boot(adapter, '2026-11-25 18:00:00')).h)
    const second = await boot(adapter, '2026-11-25 19:02:00', { rooms: false })
    await second.h.flush()
    await second.clock.advance(5_000)
    expect(second.h.sent).toEqual([])
    second.h.room('希思黎1群', 'room1@chatroom') // logged in, rooms loaded
    second.h.engine.markRoomsReady()
    await second.clock.advance(3_000)
    await second.h.flush()
    expect(reminders(second.h)).toEqual(['【直播预告】双11返场直播 58分钟后开播（11月25日 20:00）'])
    expect(second.h.sent[0]!.at - sh('2026-11-25 19:02:00')).toBeLessThanOrEqual(9_000)
  })

  it('a live added in chat survives a restart: listed, reminded, and its id not reused', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(adapter, '2026-11-25 10:00:00')
    const boss = first.h.member('Boss', 'wxid_boss')
    await first.h.say(first.room, boss, '#live add 2026-11-26 20:00 新品首发')
    expect(first.h.texts('room1@chatroom').pop()).toMatch(/^已添加直播 a1：/)
    await stop(first.h)

    const second = await boot(adapter, '2026-11-25 11:00:00')
    await second.h.say(second.room, boss, '#live list')
    expect(second.h.texts('room1@chatroom').pop()).toContain('a1 · 11月26日 20:00 新品首发')
    await second.h.say(second.room, boss, '#live add 2026-11-27 20:00 周末场')
    expect(second.h.texts('room1@chatroom').pop()).toMatch(/^已添加直播 a2：/)
    await second.clock.advanceTo(sh('2026-11-26 19:00:00'))
    await second.h.flush()
    expect(second.h.texts('room1@chatroom').pop()).toBe('【直播预告】新品首发 1小时后开播（11月26日 20:00）')
  })
})
