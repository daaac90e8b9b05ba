import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { accountsHarness } from '../../helpers/accountsHarness.js'

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const yaml = (extraBot = '') => `
accounts:
  - { id: helper1, tokenEnv: T1 }
  - { id: helper2, tokenEnv: T2 }
bot: { timezone: Asia/Shanghai, admins: [wxid_boss], takeoverSeconds: 30${extraBot} }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    accounts: [helper1, helper2]
    skills:
      checkin: {}
      tags: {}
      live:
        lives:
          - id: d11
            title: 双11返场直播
            start: "2026-11-25 20:00"
        remind: [10m]
  - name: vip
    match: { topic: "VIP*" }
    accounts: [helper2, helper1]
    skills: { checkin: {} }
`

const fans = { id: 'fans1@chatroom', topic: '粉丝1群' }
const vip = { id: 'vip1@chatroom', topic: 'VIP1群' }
const ok = (name: string, total = 10) => `${name} 签到成功 +10，连续 1 天，共 ${total} 分`

async function twoAccounts(start = '2026-11-25 10:00:00') {
  const h = await accountsHarness(yaml(), { clock: new FakeClock(sh(start)) })
  await h.login('helper1', [fans, vip])
  await h.login('helper2', [fans, vip])
  return h
}

describe('many accounts: who serves a room', () => {
  it('the first account of the group that is logged in and in the room answers; the other stays silent', async () => {
    const h = await twoAccounts()
    const alice = h.member('Alice')
    await h.say(fans, alice, '签到')
    await h.say(vip, alice, '签到')
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`])
    // vip prefers helper2
    expect(h.texts(vip.id)).toEqual([`helper2: ${ok('Alice')}`])
    // both accounts saw each message: counted once
    expect(h.engine.stats.forRoom('fans', fans.id)).toMatchObject({ messages: 1, checkins: 1 })
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    // what only the silent account saw (while the serving one is online) is not handled
    await h.account('helper2').sink.handleMessage({
      room: fans,
      talker: h.member('Bob'),
      message: { id: 'only-h2', text: '签到', textWithoutMentions: '签到', mentionsBot: false, mentionIds: [], date: h.clock.now() },
    })
    await h.flush()
    expect(h.engine.stats.forRoom('fans', fans.id)).toMatchObject({ messages: 1, checkins: 1 })
    // a member repeating themself is two messages, not an echo
    await h.say(fans, alice, '签到')
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`, 'helper1: Alice 今天已签到，共 10 分'])
  })

  it('an account not in the room is passed over; one not allowed by the group never serves it', async () => {
    const h = await accountsHarness(yaml().replace('accounts: [helper2, helper1]', 'accounts: [helper2]'), { clock: new FakeClock(sh('2026-11-25 10:00:00')) })
    await h.login('helper1', [fans, vip])
    await h.login('helper2', [])
    const alice = h.member('Alice')
    await h.say(vip, alice, '签到')
    // helper2 is not in the vip room and helper1 may not serve vip: nobody answers there
    expect(h.texts(vip.id)).toEqual([])
    await h.say(fans, alice, '签到')
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`])
  })
})

describe('many accounts: the first start', () => {
  it('a room waits (within the grace period) for the preferred account to log in, instead of going to the quickest', async () => {
    const h = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 10:00:00')) })
    await h.login('helper2', [fans])
    await h.say(fans, h.member('Alice'), '签到')
    expect(h.router.assignees.assignee(fans.id)).toBeUndefined()
    await h.clock.advance(3_000)
    await h.login('helper1', [fans])
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`])
  })

  it('a preferred account that does not come within the grace period does not hold the room', async () => {
    const h = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 10:00:00')) })
    await h.login('helper2', [fans])
    await h.say(fans, h.member('Alice'), '签到')
    await h.clock.advance(31_000)
    await h.flush()
    expect(h.router.assignees.assignee(fans.id)).toBe('helper2')
    expect(h.texts(fans.id)).toEqual([`helper2: ${ok('Alice')}`])
  })
})

describe('many accounts: takeover', () => {
  it('logged out: nothing moves within the grace period, then the next account takes over and sends what was waiting, once', async () => {
    const h = await twoAccounts()
    const alice = h.member('Alice')
    const bob = h.member('Bob')
    await h.logout('helper1')
    await h.clock.advance(10_000)
    // said during the grace period: stored at once, its confirmation waits for the room's account
    await h.say(fans, alice, '签到')
    expect(h.engine.stats.forRoom('fans', fans.id).checkins).toBe(1)
    expect(h.texts(fans.id)).toEqual([])
    await h.clock.advance(18_000) // 28 s after the logout
    await h.flush()
    expect(h.texts(fans.id)).toEqual([])
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    await h.clock.advance(3_000) // past 30 s
    await h.flush()
    expect(h.router.assignees.assignee(fans.id)).toBe('helper2')
    expect(h.texts(fans.id)).toEqual([`helper2: ${ok('Alice')}`])
    // from now on helper2 answers
    await h.say(fans, bob, '签到')
    expect(h.texts(fans.id)).toEqual([`helper2: ${ok('Alice')}`, `helper2: ${ok('Bob')}`])
    // helper1 back: the group prefers it, it takes the room back at once
    await h.login('helper1', [fans, vip])
    await h.say(fans, h.member('Carol'), '签到')
    expect(h.texts(fans.id).at(-1)).toBe(`helper1: ${ok('Carol')}`)
    expect(h.sent.filter((s) => s.text.includes('Alice'))).toHaveLength(1)
    // vip was helper2's all along: untouched
    expect(h.router.assignees.assignee(vip.id)).toBe('helper2')
  })

  it('a blip shorter than the grace period moves nothing: the account sends what waited when it is back', async () => {
    const h = await twoAccounts()
    await h.logout('helper1')
    await h.say(fans, h.member('Alice'), '签到')
    await h.clock.advance(20_000)
    await h.login('helper1', [fans, vip])
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`])
    await h.clock.advance(60_000)
    await h.flush()
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    expect(h.sent).toHaveLength(1)
  })

  it('a reminder due while the serving account is away is sent once, by the account that takes over', async () => {
    const h = await twoAccounts('2026-11-25 19:49:50')
    await h.logout('helper1')
    await h.clock.advanceTo(sh('2026-11-25 19:50:00')) // the 10-minute reminder falls due
    await h.flush()
    expect(h.sent).toEqual([])
    await h.clock.advance(21_000) // 31 s after the logout
    await h.flush()
    const reminders = h.texts(fans.id).filter((t) => t.includes('【直播预告】'))
    expect(reminders).toHaveLength(1)
    expect(reminders[0]).toMatch(/^helper2: 【直播预告】双11返场直播/)
    const deliveries = h.store.keys('live/').filter((k) => k.includes('/sends/'))
    expect(deliveries).toHaveLength(1)
    expect(h.store.get(deliveries[0]!)).toMatchObject({ room: fans.id, parts: ['sent'] })
    // helper1 back later: nothing again
    await h.login('helper1', [fans, vip])
    await h.clock.advance(120_000)
    await h.flush()
    expect(h.sent.filter((s) => s.text.includes('【直播预告】'))).toHaveLength(1)
  })

  it('a text that must go out at most once and may have reached WeChat is not re-sent by the new account; the others are', async () => {
    const h = await twoAccounts()
    const helper1 = h.account('helper1')
    // the call goes out, then the connection drops: WeChat may have posted it
    helper1.failNext.push(Object.assign(new Error('4 DEADLINE_EXCEEDED: Deadline exceeded'), { code: 4 }))
    // each a message of its own, so each is sent (or not) by itself
    const reminder = h.router.enqueue(fans.id, ['提醒：今晚8点开播'], { kind: 'scheduled', mergeable: false, because: 'mentions' })
    const owed = h.router.enqueue(fans.id, ['Alice 兑换成功'], { kind: 'owed', mergeable: false, because: 'person' })
    await h.flush()
    await h.logout('helper1')
    await h.clock.advance(31_000)
    await h.flush()
    expect(await reminder).toMatchObject({ sent: false, cause: 'ambiguous' })
    expect(await owed).toMatchObject({ sent: true })
    expect(h.texts(fans.id)).toEqual(['helper2: Alice 兑换成功'])
  })

  it('after a restart the recorded account keeps its rooms while it logs in, even when another is quicker', async () => {
    const adapter = new MemoryAdapter()
    const first = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 10:00:00')), adapter })
    await first.login('helper1', [fans])
    await first.login('helper2', [fans])
    await first.store.close()

    const h = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 11:00:00')), adapter })
    await h.login('helper2', [fans])
    await h.say(fans, h.member('Alice'), '签到')
    expect(h.router.assignees.assignee(fans.id)).toBe('helper1')
    expect(h.texts(fans.id)).toEqual([])
    await h.clock.advance(5_000)
    await h.login('helper1', [fans])
    expect(h.texts(fans.id)).toEqual([`helper1: ${ok('Alice')}`])
    // and a recorded account that never comes back loses its rooms after the grace period
    const h2 = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 12:00:00')), adapter })
    await h2.login('helper2', [fans])
    await h2.clock.advance(29_000)
    await h2.flush()
    expect(h2.router.assignees.assignee(fans.id)).toBe('helper1')
    await h2.clock.advance(2_000)
    await h2.flush()
    expect(h2.router.assignees.assignee(fans.id)).toBe('helper2')
  })
})

describe('many accounts: sending', () => {
  it('rate limits hold per account: each has its own overall window', async () => {
    const h = await accountsHarness(yaml(), { clock: new FakeClock(sh('2026-11-25 10:00:00')), limits: { roomPerMinute: 10, totalPerMinute: 2 } })
    await h.login('helper1', [fans, vip])
    await h.login('helper2', [fans, vip])
    for (let i = 1; i <= 3; i++) {
      void h.router.enqueue(fans.id, [`fans ${i}`], { kind: 'owed', mergeable: false, because: 'person' })
      void h.router.enqueue(vip.id, [`vip ${i}`], { kind: 'owed', mergeable: false, because: 'person' })
    }
    await h.clock.advance(50_000)
    await h.flush()
    expect(h.texts(fans.id)).toEqual(['helper1: fans 1', 'helper1: fans 2'])
    expect(h.texts(vip.id)).toEqual(['helper2: vip 1', 'helper2: vip 2'])
    await h.clock.advance(15_000)
    await h.flush()
    expect(h.texts(fans.id)).toHaveLength(3)
    expect(h.texts(vip.id)).toHaveLength(3)
  })

  it('a private reply goes through the account that got the private message; to a contact nobody heard from, through the first online account', async () => {
    const h = await twoAccounts()
    const alice = h.member('Alice')
    await h.say(fans, alice, '签到')
    await h.dm('helper2', alice, '我的标签')
    expect(h.sent.filter((s) => s.to === alice.id).map((s) => s.account)).toEqual(['helper2'])
    await h.logout('helper2')
    void h.router.enqueue(alice.id, ['客服稍后联系您'], { kind: 'owed' })
    void h.router.enqueue('wxid_boss', ['转人工：Alice'], { kind: 'owed' })
    await h.flush()
    expect(h.sent.filter((s) => s.to === alice.id).map((s) => s.account)).toEqual(['helper2', 'helper1'])
    expect(h.texts('wxid_boss')).toEqual(['helper1: 转人工：Alice'])
  })
})
