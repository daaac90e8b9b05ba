import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { guardBlacklist } from '../../../skills/guard/manage.js'
import { harness, type Harness } from '../../helpers/harness.js'

/**
 * An accept, invite or removal that falls due while the account is logged out (or cut off) is
 * no refusal by WeChat: it stays owed — durably — and goes out as soon as the account is back.
 * A real refusal still reports to the admins (guard.test.ts, gate.test.ts).
 */

const HOUR = 3600_000

const YAML = `
bot:
  admins: [wxid_boss]
  friends:
    accept: keywords
    keywords: [进群]
    greeting: "你好 {name}"
    perDay: 10
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      guard:
        block: { words: [加微信] }
        strikes: 1
        removeText: "{name} 因{rule}已被移出本群"
        removalsPerHour: 1
      gate:
        keywords: [进群]
        capacity: 100
        invitesPerHour: 1
        inviteReply: "{name}，已邀请你加入{topic}"
`

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { log, lines }
}

async function settle(h: Harness): Promise<void> {
  for (let i = 0; i < 3; i++) await h.flush()
}

/** Logged out (the runtime's actions throw "not logged in"), then back: the runtime reports the login. */
function logout(h: Harness): void {
  h.actions.online = false
}
async function login(h: Harness): Promise<void> {
  h.actions.online = true
  h.engine.markRoomsReady()
  await settle(h)
}

describe('owed actions while the account is away', () => {
  it('a removal that falls due while logged out waits (no "remove by hand" to the admins) and goes at the login', async () => {
    const { log, lines } = capture()
    const h = await harness(YAML, { log })
    const room = h.room('粉丝1群')
    await h.say(room, h.member('A'), '加微信') // removed now: the hour's only slot
    await h.say(room, h.member('B'), '加微信') // waits for the next hour
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a'])
    logout(h)
    await h.clock.advance(HOUR + 2 * 60_000) // due, and long past, while away
    await settle(h)
    expect(h.actions.of('remove')).toHaveLength(1)
    // nothing was refused, so nobody is asked to remove B by hand
    expect(h.texts('wxid_boss').filter((t) => t.includes('未能'))).toEqual([])
    expect(lines.filter((l) => l.action === 'guard removal failed')).toEqual([])
    await login(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a', 'wxid_b'])
    expect(h.texts(room.id).at(-1)).toBe('B 因发广告已被移出本群')
    expect(h.texts('wxid_boss').at(-1)).toContain('已把 B（wxid_b）移出')
    expect(guardBlacklist(h.store, 'fans').map((b) => b.contactId).sort()).toEqual(['wxid_a', 'wxid_b'])
  })

  it('…also across a restart while away: the owed removal is in the store', async () => {
    const adapter = new MemoryAdapter()
    const clock = new FakeClock()
    const first = await harness(YAML, { adapter, clock })
    const room = first.room('粉丝1群')
    logout(first)
    await first.say(room, first.member('C'), '加微信')
    await settle(first)
    expect(first.actions.of('remove')).toEqual([])
    await first.store.durable()
    first.engine.stop()

    // a new process, whose account logs in a while later
    const again = await harness(YAML, { adapter, clock, roomsReady: false })
    again.room('粉丝1群')
    logout(again)
    await clock.advance(30 * 60_000)
    expect(again.actions.of('remove')).toEqual([])
    await login(again)
    expect(again.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_c'])
    expect(again.texts('wxid_boss').filter((t) => t.includes('未能'))).toEqual([])
  })

  it('a friend request during an outage is not dropped after 3 "not logged in" failures: accepted and greeted once back', async () => {
    const { log, lines } = capture()
    const h = await harness(YAML, { log })
    logout(h)
    const id = await h.friendRequest(h.member('D'), '进群')
    // far more than the 3 tries a refusal gets
    for (let i = 0; i < 10; i++) await h.clock.advance(10 * 60_000)
    await settle(h)
    expect(h.actions.of('accept')).toEqual([])
    expect(lines.filter((l) => l.action === 'friend accept failed')).toEqual([])
    await login(h)
    expect(h.actions.of('accept').map((c) => c.id)).toEqual([id])
    expect(h.texts('wxid_d')).toEqual(['你好 D'])
  })

  it('an invite due while logged out spends none of its tries and goes at the login', async () => {
    const h = await harness(YAML)
    const vip = h.room('粉丝1群')
    h.actions.members.set(vip.id, ['wxid_bot'])
    await h.dm(h.member('E'), '进群')
    await h.dm(h.member('F'), '进群') // waits an hour (invitesPerHour: 1)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_e'])
    logout(h)
    // the backoff of a refused invite (1 + 5 + 30 min) is long over: an away account is no refusal
    await h.clock.advance(HOUR + 40 * 60_000)
    await settle(h)
    expect(h.texts('wxid_boss')).toEqual([])
    await login(h)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_e', 'wxid_f'])
  })
})
