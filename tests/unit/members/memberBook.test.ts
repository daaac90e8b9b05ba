import { describe, expect, it } from 'vitest'
import { dayKeyOf, dayNumber } from '../../../src/members/MemberRecord.js'
import { harness } from '../../helpers/harness.js'

const DAY = 86_400_000
const HOUR = 3_600_000

const YAML = `
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  privacy: { retainDays: 3 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { batchSeconds: 0, text: "欢迎 {names}" }
      checkin: {}
      gate: { keywords: [进粉丝群], capacity: 10 }
  - name: vip
    match: { topic: "VIP*" }
    skills: {}
`

describe('the member record, written by the engine from events', () => {
  it('a join with its inviter, names seen, messages per day (counts only), a leave: one row', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    const alice = { id: 'wxid_alice', name: '爱丽丝', nick: 'Alice', alias: '爱丽丝' }
    await h.engine.handleJoin({ room, members: [alice], memberCount: 3, by: 'wxid_bob' })
    await h.say(room, alice, '大家好')
    await h.say(room, alice, '签到')
    await h.clock.advance(DAY)
    await h.say(room, { ...alice, name: '小爱', alias: '小爱' }, '早')

    const row = h.engine.members.get('wxid_alice')!
    expect(row.name).toBe('小爱')
    expect(row.names).toEqual(['爱丽丝', 'Alice', '小爱'])
    const day1 = dayNumber(h.engine.time.dayKey(h.clock.now() - DAY))
    expect(row.activity).toEqual([{ group: 'fans', last: h.clock.now(), days: [day1, 2, day1 + 1, 1] }])
    // counts only: no text of a message is anywhere in the row
    expect(JSON.stringify(row)).not.toContain('大家好')
    expect(h.engine.members.membership('wxid_alice', 'fans')).toEqual({ in: true, roomId: room.id, joinedAt: h.clock.now() - DAY, inviterId: 'wxid_bob', joins: 1 })
    expect(row.events.map((e) => e.kind)).toEqual(['join', 'name'])

    await h.leave(room, [alice])
    const m = h.engine.members.membership('wxid_alice', 'fans')!
    expect(m.in).toBe(false)
    expect(m.leftAt).toBe(h.clock.now())
    // the same leave announced again is one leave: counted once in #stats too
    await h.leave(room, [alice])
    expect(h.engine.stats.forRoom('fans', room.id).leaves).toBe(1)
    expect(h.engine.members.get('wxid_alice')!.events.filter((e) => e.kind === 'leave')).toHaveLength(1)
  })

  it('messages per day are kept for retainDays days only', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    const bob = h.member('Bob')
    for (let d = 0; d < 5; d++) {
      await h.say(room, bob, `第${d}天`)
      await h.clock.advance(DAY)
    }
    await h.say(room, bob, '今天')
    const today = dayNumber(h.engine.time.dayKey(h.clock.now()))
    // retainDays: 3 → today and the two days before
    expect(h.engine.members.get('wxid_bob')!.activity[0]!.days).toEqual([today - 2, 1, today - 1, 1, today, 1])
    expect(dayKeyOf(today)).toBe(h.engine.time.dayKey(h.clock.now()))
  })

  it('a join by a gate invite is `via` the keyword, whoever the puppet names as inviter (the bot)', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    h.actions.members.set(room.id, ['wxid_bot', 'wxid_x'])
    const carol = h.member('Carol')
    await h.dm(carol, '进粉丝群')
    await h.engine.handleJoin({ room, members: [carol], memberCount: 3, byBot: true })
    expect(h.engine.members.membership('wxid_carol', 'fans')).toMatchObject({ in: true, via: '进粉丝群', joins: 1 })
    expect(h.engine.members.membership('wxid_carol', 'fans')!.inviterId).toBeUndefined()
    // the expectation is used up: a later join is not via the keyword again
    await h.leave(room, [carol])
    await h.clock.advance(HOUR)
    await h.engine.handleJoin({ room, members: [carol], memberCount: 3, by: 'wxid_dave' })
    expect(h.engine.members.membership('wxid_carol', 'fans')).toMatchObject({ in: true, inviterId: 'wxid_dave', joins: 2 })
    expect(h.engine.members.membership('wxid_carol', 'fans')!.via).toBeUndefined()
  })

  it('joinedBetween and silentSince read the group from the in-memory room index', async () => {
    const h = await harness(YAML)
    const r1 = h.room('粉丝1群')
    const r2 = h.room('粉丝2群')
    const vip = h.room('VIP群')
    const t0 = h.clock.now()
    await h.join(r1, [h.member('A')])
    await h.clock.advance(HOUR)
    await h.join(r2, [h.member('B')])
    await h.join(vip, [h.member('C')])
    await h.clock.advance(HOUR)
    await h.join(r1, [h.member('D')])
    await h.say(r2, h.member('B'), 'hi')
    const book = h.engine.members
    expect(book.joinedBetween('fans', t0, t0 + 2 * HOUR).map((m) => [m.id, m.roomId])).toEqual([
      ['wxid_a', r1.id],
      ['wxid_b', r2.id],
    ])
    // A never spoke and joined before; B spoke just now; D joined just now
    expect(book.silentSince('fans', h.clock.now() - 30 * 60_000).map((m) => m.id)).toEqual(['wxid_a'])
    await h.leave(r1, [h.member('A')])
    expect(book.joinedBetween('fans', t0, h.clock.now() + 1).map((m) => m.id)).toEqual(['wxid_b', 'wxid_d'])
    await h.clock.advance(60_000)
    expect(book.silentSince('fans', h.clock.now()).map((m) => m.id)).toEqual(['wxid_b', 'wxid_d'])
  })

  it('a leave within the hour after a bot message notes that message', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    const eve = h.member('Eve')
    await h.join(room, [eve])
    // the welcome went out: the room's last bot message
    expect(h.texts(room.id).map((t) => t.trim())).toEqual(['欢迎 @Eve'])
    await h.clock.advance(20 * 60_000)
    await h.leave(room, [eve])
    const leave = h.engine.members.get('wxid_eve')!.events.find((e) => e.kind === 'leave')!
    expect(leave.after).toEqual({ at: h.clock.now() - 20 * 60_000, skill: 'welcome', kind: 'owed' })
    // more than an hour later: nothing noted
    await h.join(room, [h.member('Fay')])
    await h.clock.advance(61 * 60_000)
    await h.leave(room, [h.member('Fay')])
    expect(h.engine.members.get('wxid_fay')!.events.find((e) => e.kind === 'leave')!.after).toBeUndefined()
  })

  it('a tag taken away stays in the timeline as an event with when it was given', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('Gus')])
    const given = h.clock.now()
    h.engine.tags.add('wxid_gus', '活跃粉', { source: 'admin', at: given, by: 'wxid_boss' })
    await h.clock.advance(HOUR)
    h.engine.tags.remove('wxid_gus', '活跃粉')
    expect(h.engine.members.get('wxid_gus')!.events.at(-1)).toEqual({ at: h.clock.now(), kind: 'untag', tag: '活跃粉', source: 'admin', since: given })
  })
})

describe('upgrading from a version without the member record', () => {
  it('keeps points and tags; members with either are in the record from the first start, placed by the first read', async () => {
    const { MemoryAdapter } = await import('../../../src/store/MemoryAdapter.js')
    const { bucketOf } = await import('../../../src/store/Store.js')
    const adapter = new MemoryAdapter()
    const points = { name: '老粉丝', total: 120, streak: 3, lastDay: '2026-11-20', reachedAt: Date.UTC(2026, 10, 20), checkins: 12 }
    await adapter.commit([
      { key: `checkin/pool:fans/members/${bucketOf('wxid_old', 32)}/wxid_old`, value: points },
      { key: `core/tags/${bucketOf('wxid_old', 32)}/wxid_old`, value: { 活跃粉: { source: 'streak', at: Date.UTC(2026, 10, 18) } } },
      { key: `core/tags/${bucketOf('wxid_tagged', 32)}/wxid_tagged`, value: { VIP: { source: 'admin', at: Date.UTC(2026, 10, 1) } } },
    ])
    const h = await harness(YAML, { adapter })
    expect(h.engine.points('fans').get('wxid_old')!.total).toBe(120)
    expect(h.engine.tags.names('wxid_old')).toEqual(['活跃粉'])
    expect(h.engine.members.get('wxid_old')).toMatchObject({ name: '老粉丝', names: ['老粉丝'], seen: Date.UTC(2026, 10, 18), rooms: [] })
    expect(h.engine.members.get('wxid_tagged')).toMatchObject({ name: 'wxid_tagged', names: [] })
    const room = h.room('粉丝1群')
    h.actions.members.set(room.id, ['wxid_bot', 'wxid_old'])
    await h.engine.reconcileRoom(room.id)
    expect(h.engine.members.membership('wxid_old', 'fans')).toEqual({ in: true, roomId: room.id, joins: 0 })
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBeUndefined()
  })
})
