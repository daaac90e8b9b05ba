import { readFileSync } from 'node:fs'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { pointsBook } from '../../../src/engine/SkillContext.js'
import { harness, type Harness } from '../../helpers/harness.js'

const HOUR = 3600_000

function yaml(gate: string, extra = ''): string {
  return `
bot:
  admins: [wxid_boss]
${extra}
groups:
  - name: vip
    match: { topic: "VIP*" }
    skills:
      checkin: { pool: sisley }
      gate:
${gate
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`
}

const BASIC = `
keywords: [进VIP群]
capacity: 4
order: fill
inviteReply: "{name}，已邀请你加入{topic}"
alreadyReply: "{name}，你已经在{topic}里啦"
fullReply: "{name}，群满了"
`

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { log, audits: (action: string) => lines.filter((l) => l.audit === true && l.action === action) }
}

/** Two rooms of the group: VIP1 with the bot and 2 members (3), VIP2 with the bot and 1 (2). */
function rooms(h: Harness) {
  const vip2 = h.room('VIP2群')
  const vip1 = h.room('VIP1群')
  h.actions.members.set(vip1.id, ['wxid_bot', 'wxid_m1', 'wxid_m2'])
  h.actions.members.set(vip2.id, ['wxid_bot', 'wxid_m3'])
  return { vip1, vip2 }
}

describe('gate: a private keyword invites into a room of the group', () => {
  it('fill: the first room (by topic) with space, pending invites counted; then the next room (群满换群)', async () => {
    const h = await harness(yaml(BASIC))
    const { vip1, vip2 } = rooms(h)
    await h.dm(h.member('A'), '进VIP群')
    expect(h.texts('wxid_a')).toEqual(['A，已邀请你加入VIP1群'])
    expect(h.actions.of('add')).toEqual([{ at: h.clock.now(), kind: 'add', id: vip1.id, contactId: 'wxid_a' }])
    // VIP1: 3 members + 1 pending = capacity 4
    await h.dm(h.member('B'), '进VIP群')
    expect(h.texts('wxid_b')).toEqual(['B，已邀请你加入VIP2群'])
    expect(h.actions.of('add').map((c) => [c.id, c.contactId])).toEqual([
      [vip1.id, 'wxid_a'],
      [vip2.id, 'wxid_b'],
    ])
  })

  it('only the exact keyword, only privately; in a room it is an ordinary message', async () => {
    const h = await harness(yaml(BASIC))
    const { vip1 } = rooms(h)
    await h.dm(h.member('A'), '我想进VIP群')
    await h.say(vip1, h.member('A'), '进VIP群')
    expect(h.sent).toEqual([])
    expect(h.actions.calls).toEqual([])
  })

  it('balance: the emptiest room', async () => {
    const h = await harness(yaml(BASIC.replace('order: fill', 'order: balance')))
    const { vip1, vip2 } = rooms(h)
    await h.dm(h.member('A'), '进VIP群') // VIP2 has 2
    await h.dm(h.member('B'), '进VIP群') // now 3 and 3: the first by topic
    await h.dm(h.member('C'), '进VIP群') // 4 and 3
    expect(h.actions.of('add').map((c) => [c.contactId, c.id])).toEqual([
      ['wxid_a', vip2.id],
      ['wxid_b', vip1.id],
      ['wxid_c', vip2.id],
    ])
  })

  it('full: fullReply, and one private note to the admins; a pending invite stops counting after 24 h', async () => {
    const h = await harness(yaml(BASIC.replace('capacity: 4', 'capacity: 3')))
    const { vip2 } = rooms(h) // VIP1 is full (3), VIP2 has 2
    await h.dm(h.member('A'), '进VIP群')
    expect(h.texts('wxid_a')).toEqual(['A，已邀请你加入VIP2群'])
    await h.dm(h.member('B'), '进VIP群')
    await h.dm(h.member('C'), '进VIP群')
    expect(h.texts('wxid_b')).toEqual(['B，群满了'])
    expect(h.texts('wxid_c')).toEqual(['C，群满了'])
    const notes = h.texts('wxid_boss')
    expect(notes).toHaveLength(1)
    expect(notes[0]).toContain('VIP1群 3/3，VIP2群 3/3')
    expect(notes[0]).toContain('wxid_b')
    // A never joined: after 24 h the seat is free again
    await h.clock.advance(24 * HOUR - 1)
    await h.dm(h.member('B'), '进VIP群')
    expect(h.texts('wxid_b').at(-1)).toBe('B，群满了')
    await h.clock.advance(1)
    await h.dm(h.member('B'), '进VIP群')
    expect(h.texts('wxid_b').at(-1)).toBe('B，已邀请你加入VIP2群')
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_a', 'wxid_b'])
    expect(vip2).toBeDefined()
  })

  it('a room-join ends the pending invite (it is counted as a member, not twice)', async () => {
    const h = await harness(yaml(BASIC.replace('capacity: 4', 'capacity: 4')))
    const vip = h.room('VIP1群')
    h.actions.members.set(vip.id, ['wxid_bot', 'wxid_m1'])
    await h.dm(h.member('A'), '进VIP群') // 2 + 1
    await h.join(vip, [h.member('A')])
    h.actions.members.set(vip.id, ['wxid_bot', 'wxid_m1', 'wxid_a'])
    await h.dm(h.member('B'), '进VIP群') // 3 + 0 → invited (would be full if A still counted as pending)
    expect(h.texts('wxid_b')).toEqual(['B，已邀请你加入VIP1群'])
    await h.dm(h.member('C'), '进VIP群')
    expect(h.texts('wxid_c')).toEqual(['C，群满了'])
  })

  it('already in a room of the group: alreadyReply, no invite; asking again while invited: no second invite', async () => {
    const h = await harness(yaml(BASIC))
    rooms(h)
    await h.dm(h.member('M3', 'wxid_m3'), '进VIP群')
    expect(h.texts('wxid_m3')).toEqual(['M3，你已经在VIP2群里啦'])
    await h.dm(h.member('A'), '进VIP群')
    await h.dm(h.member('A'), '进VIP群')
    expect(h.texts('wxid_a')).toEqual(['A，已邀请你加入VIP1群', 'A，已邀请你加入VIP1群'])
    expect(h.actions.of('add')).toHaveLength(1)
  })

  it('require: deniedReply says what is missing (points in the pool, tags); met: invited', async () => {
    const gate = `${BASIC}
require:
  points: { pool: sisley, min: 100 }
  tags: [活跃粉]
deniedReply: "{name}，VIP 群需要 {need} 积分，你现在有 {points} 分 | {tags} | {missing}"`
    const h = await harness(yaml(gate))
    rooms(h)
    const a = h.member('A')
    await h.dm(a, '进VIP群')
    expect(h.texts('wxid_a').at(-1)).toBe('A，VIP 群需要 100 积分，你现在有 0 分 | 活跃粉 | 100 积分（需要 100，现在 0）；标签「活跃粉」')
    const book = pointsBook(h.store, 'sisley')
    book.adjust('wxid_a', 120, 'adjust', { now: h.clock.now(), day: '2026-11-26', group: 'vip' })
    await h.dm(a, '进VIP群')
    expect(h.texts('wxid_a').at(-1)).toBe('A，VIP 群需要 100 积分，你现在有 120 分 | 活跃粉 | 标签「活跃粉」')
    h.engine.tags.add('wxid_a', '活跃粉', { source: 'streak', at: h.clock.now() })
    await h.dm(a, '进VIP群')
    expect(h.texts('wxid_a').at(-1)).toBe('A，已邀请你加入VIP1群')
    expect(h.actions.of('add')).toHaveLength(1)
  })

  it('deniedReply says what is missing once: the default, and bot.example.yaml’s `还差：{missing}`', async () => {
    const need = `${BASIC}
require:
  points: { pool: sisley, min: 100 }
  tags: [活跃粉]`
    const h = await harness(yaml(need))
    rooms(h)
    await h.dm(h.member('A'), '进VIP群')
    expect(h.texts('wxid_a').at(-1)).toBe('A，暂时还不能进群，还差：100 积分（需要 100，现在 0）；标签「活跃粉」')
    // the example config's template, as shipped
    const example = readFileSync('config/bot.example.yaml', 'utf8').match(/deniedReply: ("\{name\}，VIP 群[^"]*")/)![1]!
    const h2 = await harness(yaml(`${need}\ndeniedReply: ${example}`))
    rooms(h2)
    await h2.dm(h2.member('A'), '进VIP群')
    const text = h2.texts('wxid_a').at(-1)!
    expect(text).toBe('A，VIP 群需要 100 积分和「活跃粉」标签，你现在有 0 分。还差：100 积分（需要 100，现在 0）；标签「活跃粉」')
    expect(text).not.toMatch(/还差：还差|需要标签/)
  })

  it('invitesPerHour: more invites wait for their turn (kept), none in any hour beyond the limit', async () => {
    const h = await harness(yaml(BASIC.replace('capacity: 4', 'capacity: 100') + 'invitesPerHour: 2'))
    rooms(h)
    const t0 = h.clock.now()
    for (const n of ['A', 'B', 'C', 'D', 'E']) await h.dm(h.member(n), '进VIP群')
    // every one is told at once; the adds go out 2 an hour
    for (const n of ['a', 'b', 'c', 'd', 'e']) expect(h.texts(`wxid_${n}`)).toHaveLength(1)
    expect(h.actions.of('add')).toHaveLength(2)
    await h.clock.advance(3 * HOUR)
    const times = h.actions.of('add').map((c) => c.at - t0)
    expect(times).toEqual([0, 0, HOUR, HOUR, 2 * HOUR])
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_a', 'wxid_b', 'wxid_c', 'wxid_d', 'wxid_e'])
  })

  it('room.add failing: retried with backoff (1 min, 5 min, 30 min), then the admins are told; an audit line per invite', async () => {
    const { log, audits } = capture()
    const h = await harness(yaml(BASIC), { log })
    const { vip1 } = rooms(h)
    h.actions.failAdds = 2
    await h.dm(h.member('A'), '进VIP群')
    expect(h.actions.of('add')).toEqual([])
    await h.clock.advance(60_000)
    expect(h.actions.of('add')).toEqual([])
    await h.clock.advance(5 * 60_000)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_a'])
    expect(audits('invite')).toMatchObject([{ contact: 'wxid_a', room: vip1.id, attempt: 3 }])
    expect(h.texts('wxid_boss')).toEqual([])

    h.actions.failAdds = 10
    await h.dm(h.member('B'), '进VIP群')
    await h.clock.advance(36 * 60_000)
    expect(h.texts('wxid_boss')).toHaveLength(1)
    expect(h.texts('wxid_boss')[0]).toBe('【门槛】邀请 B（wxid_b）进「VIP2群」失败 4 次：操作太频繁。请手动拉人。')
    expect(audits('invite failed')).toHaveLength(1)
    // given up: no retry storm, and the seat is free again
    await h.clock.advance(24 * HOUR)
    expect(h.actions.failAdds).toBe(6)
  })

  it('an invite planned before a restart still goes out (durable job and pending record)', async () => {
    const { MemoryAdapter } = await import('../../../src/store/MemoryAdapter.js')
    const { FakeClock } = await import('../../../src/clock/FakeClock.js')
    const adapter = new MemoryAdapter()
    const clock = new FakeClock()
    const config = yaml(BASIC.replace('capacity: 4', 'capacity: 100') + 'invitesPerHour: 1')
    const h1 = await harness(config, { adapter, clock })
    rooms(h1)
    await h1.dm(h1.member('A'), '进VIP群')
    await h1.dm(h1.member('B'), '进VIP群') // B's add waits an hour
    expect(h1.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_a'])
    await h1.store.durable()
    h1.engine.stop()
    const h2 = await harness(config, { adapter, clock })
    rooms(h2)
    await clock.advance(HOUR)
    expect(h2.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_b'])
  })
})

describe('gate: friend requests (bot.friends)', () => {
  const FRIENDS = `  friends:
    accept: keywords
    keywords: [希思黎, 进群]
    greeting: "你好 {name}，发「进VIP群」加入粉丝群～"
    perDay: 2`

  it('a request with a keyword is accepted (audit line) and greeted; one without is left alone', async () => {
    const { log, audits } = capture()
    const h = await harness(yaml(BASIC, FRIENDS), { log })
    const id = await h.friendRequest(h.member('A'), '我是希思黎的老粉')
    await h.friendRequest(h.member('B'), '你好')
    expect(h.actions.of('accept').map((c) => c.id)).toEqual([id])
    expect(h.texts('wxid_a')).toEqual(['你好 A，发「进VIP群」加入粉丝群～'])
    expect(h.texts('wxid_b')).toEqual([])
    expect(audits('friend accept')).toMatchObject([{ contact: 'wxid_a', friendship: id }])
  })

  it('accept: none (the default) accepts nothing; accept: all accepts any', async () => {
    const none = await harness(yaml(BASIC))
    await none.friendRequest(none.member('A'), '希思黎')
    expect(none.actions.calls).toEqual([])
    const all = await harness(yaml(BASIC, '  friends: { accept: all }'))
    await all.friendRequest(all.member('A'), '')
    expect(all.actions.of('accept')).toHaveLength(1)
    expect(all.texts('wxid_a')).toEqual([]) // no greeting configured
  })

  it('perDay: requests over the day’s limit are kept and accepted after midnight, oldest first', async () => {
    const h = await harness(yaml(BASIC, FRIENDS))
    for (const n of ['A', 'B', 'C', 'D']) await h.friendRequest(h.member(n), '进群')
    expect(h.actions.of('accept').map((c) => c.id)).toEqual(['fr1', 'fr2'])
    // 10:00 in Shanghai now; midnight is 14 h away
    await h.clock.advance(14 * HOUR - 1)
    expect(h.actions.of('accept')).toHaveLength(2)
    await h.clock.advance(1)
    expect(h.actions.of('accept').map((c) => c.id)).toEqual(['fr1', 'fr2', 'fr3', 'fr4'])
    expect(h.texts('wxid_d')).toEqual(['你好 D，发「进VIP群」加入粉丝群～'])
    // and today's allowance is spent by them
    await h.friendRequest(h.member('E'), '进群')
    expect(h.actions.of('accept')).toHaveLength(4)
  })

  it('the same request delivered twice is one; a failed accept is retried, not counted', async () => {
    const h = await harness(yaml(BASIC, FRIENDS))
    await h.friendRequest(h.member('A'), '进群', 'same')
    await h.friendRequest(h.member('A'), '进群', 'same')
    expect(h.actions.of('accept')).toHaveLength(1)
    h.actions.failAccepts = 1
    await h.friendRequest(h.member('B'), '进群')
    expect(h.actions.of('accept')).toHaveLength(1)
    await h.clock.advance(10 * 60_000)
    expect(h.actions.of('accept').map((c) => c.id)).toEqual(['same', 'fr1'])
  })

  it('waiting requests survive a restart', async () => {
    const { MemoryAdapter } = await import('../../../src/store/MemoryAdapter.js')
    const { FakeClock } = await import('../../../src/clock/FakeClock.js')
    const adapter = new MemoryAdapter()
    const clock = new FakeClock()
    const h1 = await harness(yaml(BASIC, FRIENDS), { adapter, clock })
    for (const n of ['A', 'B', 'C']) await h1.friendRequest(h1.member(n), '进群')
    await h1.store.durable()
    h1.engine.stop()
    const h2 = await harness(yaml(BASIC, FRIENDS), { adapter, clock })
    await clock.advance(14 * HOUR)
    expect(h2.actions.of('accept').map((c) => c.id)).toEqual(['fr3'])
  })

  it('gate/brand/ does not grow: request ids are forgotten after 30 days unless still waiting; old day counts go', async () => {
    const h = await harness(yaml(BASIC, FRIENDS.replace('perDay: 2', 'perDay: 1')))
    const seen = () => h.store.keys('gate/brand/seen/').map((k) => k.slice('gate/brand/seen/'.length))
    const accepted = () => h.actions.of('accept').map((c) => c.id)
    // 40 ask on the first day; one is accepted a day, so the last wait 39 days
    for (let i = 0; i < 40; i++) await h.friendRequest(h.member(`M${i}`), '进群', `r${i}`)
    await h.clock.advance(35 * 24 * HOUR)
    expect(accepted()).toHaveLength(36)
    // the hourly sweep forgot the ids of requests accepted (and first seen) over 30 days ago,
    // but not those still waiting: a replay of one of them is still one request
    expect(seen()).toEqual(['r36', 'r37', 'r38', 'r39'])
    await h.friendRequest(h.member('M39'), '进群', 'r39')
    await h.clock.advance(10 * 24 * HOUR)
    expect(accepted()).toEqual(Array.from({ length: 40 }, (_, i) => `r${i}`))
    expect(h.store.keys('gate/brand/accepted/').length).toBeLessThanOrEqual(2)
    await h.clock.advance(31 * 24 * HOUR)
    expect(seen()).toEqual([])
    expect(h.store.keys('gate/brand/accepted/').length).toBeLessThanOrEqual(2)
  })

  it('bot.friends is checked: keywords mode needs keywords', async () => {
    await expect(harness(yaml(BASIC, '  friends: { accept: keywords }'))).rejects.toThrow(/accept: keywords needs keywords/)
  })
})
