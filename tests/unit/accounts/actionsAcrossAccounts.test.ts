import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { accountsHarness, type AccountsHarness } from '../../helpers/accountsHarness.js'

/**
 * Several accounts: a removal that falls due while the room's account is away (a takeover's
 * grace period) waits for the account that serves the room next — no "remove by hand"; and a
 * friend request kept for tomorrow is accepted through the account that received it, also
 * after a restart in which another account logged in first.
 */

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const YAML = `
accounts:
  - { id: helper1, tokenEnv: T1 }
  - { id: helper2, tokenEnv: T2 }
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  takeoverSeconds: 30
  friends: { accept: all, perDay: 1, greeting: "你好 {name}" }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    accounts: [helper1, helper2]
    skills:
      guard:
        block: { words: [加微信] }
        strikes: 1
        removeText: "{name} 因{rule}已被移出本群"
        removalsPerHour: 1
`
const fans = { id: 'fans1@chatroom', topic: '粉丝1群' }

async function settle(h: AccountsHarness): Promise<void> {
  for (let i = 0; i < 3; i++) await h.flush()
}

describe('owed actions with several accounts', () => {
  it('a removal due during a takeover’s grace period waits, then goes through the account that took the room over', async () => {
    const h = await accountsHarness(YAML, { clock: new FakeClock(sh('2026-11-25 10:00:00')) })
    await h.login('helper1', [fans])
    await h.login('helper2', [fans])
    await h.say(fans, h.member('A'), '加微信') // the hour's removal, by helper1
    await h.say(fans, h.member('B'), '加微信') // waits for the next hour
    await settle(h)
    expect(h.account('helper1').actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a'])
    // helper1 goes away 10 s before B's turn: the turn comes inside the 30 s grace period
    await h.clock.advance(3600_000 - 10_000)
    await h.logout('helper1')
    await h.clock.advance(15_000)
    await settle(h)
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    expect(h.account('helper2').actions.of('remove')).toEqual([])
    expect(h.texts('wxid_boss').filter((t) => t.includes('未能'))).toEqual([])
    // the grace period ends: helper2 serves the room, and removes B at once
    await h.clock.advance(16_000)
    await settle(h)
    expect(h.router.assignees.assignee(fans.id)).toBe('helper2')
    expect(h.account('helper2').actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_b'])
    expect(h.texts(fans.id).at(-1)).toBe('helper2: B 因发广告已被移出本群')
    expect(h.texts('wxid_boss').filter((t) => t.includes('未能'))).toEqual([])
  })

  it('a friend request kept for tomorrow is accepted through the account that received it, after a restart where another logged in first', async () => {
    const adapter = new MemoryAdapter()
    const clock = new FakeClock(sh('2026-11-25 10:00:00'))
    const first = await accountsHarness(YAML, { clock, adapter })
    await first.login('helper1', [fans])
    await first.login('helper2', [fans])
    await first.friendRequest('helper1', first.member('C'), '你好', 'fr-c') // today's only accept
    await first.friendRequest('helper2', first.member('D'), '你好', 'fr-d') // kept for tomorrow
    expect(first.account('helper1').actions.of('accept').map((c) => c.id)).toEqual(['fr-c'])
    expect(first.account('helper2').actions.of('accept')).toEqual([])
    await first.store.durable()
    first.engine.stop()
    first.router.close()

    // the next morning a new process: helper1 logs in first, helper2 is not back yet
    await clock.advanceTo(sh('2026-11-25 23:50:00'))
    const again = await accountsHarness(YAML, { clock, adapter })
    await again.login('helper1', [fans])
    await clock.advanceTo(sh('2026-11-26 00:05:00'))
    await settle(again)
    // not accepted by helper1 (it could not: the request is helper2's), and not given up on
    expect(again.account('helper1').actions.of('accept')).toEqual([])
    await clock.advance(3 * 3600_000)
    await settle(again)
    expect(again.account('helper1').actions.of('accept')).toEqual([])
    await again.login('helper2', [fans])
    await settle(again)
    expect(again.account('helper2').actions.of('accept').map((c) => c.id)).toEqual(['fr-d'])
    expect(again.account('helper1').actions.of('accept')).toEqual([])
    // greeted by the account that is now their friend
    expect(again.texts('wxid_d')).toEqual(['helper2: 你好 D'])
  })
})
