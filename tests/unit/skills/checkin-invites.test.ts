import { describe, expect, it } from 'vitest'
import { CheckinSkill } from '../../../skills/checkin/index.js'
import { SKILLS } from '../../../skills/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import type { Member, RoomRef } from '../../../src/engine/Skill.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness, type Harness } from '../../helpers/harness.js'

const DAY = 24 * 3_600_000
const T0 = Date.UTC(2026, 10, 26, 2, 0, 0)

const yaml = (invites = '{ points: 20, keepDays: 7 }') => `
bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans, invites: ${invites} }
`

async function boot(opts: { adapter?: MemoryAdapter; at?: number; invites?: string } = {}) {
  const clock = new FakeClock(opts.at ?? T0)
  const h = await harness(yaml(opts.invites), { skills: [CheckinSkill], clock, adapter: opts.adapter, roomsReady: false })
  const room = h.room('粉丝1群', 'room1@chatroom')
  const room2 = h.room('粉丝2群', 'room2@chatroom')
  h.engine.markRoomsReady()
  await h.flush()
  return { h, clock, room, room2, alice: h.member('Alice'), bob: h.member('Bob'), carol: h.member('Carol') }
}

async function joinBy(h: Harness, room: RoomRef, invitee: Member, by?: string, extra: { byBot?: boolean; found?: { from?: number } } = {}): Promise<void> {
  await h.engine.handleJoin({ room, members: [invitee], memberCount: 10, by, ...extra })
  await h.flush()
}

const points = (h: Harness, id = 'wxid_alice') => h.engine.points('fans').get(id)?.total ?? 0
const inviteLedger = (h: Harness) => h.engine.points('fans').ledger().filter((e) => e.reason === 'invite')

describe('checkin.invites: points once the invitee stayed keepDays', () => {
  it('credited once, exactly keepDays after the join, to the inviter, in the ledger', async () => {
    const { h, clock, room, alice, bob } = await boot()
    await joinBy(h, room, bob, alice.id)
    await clock.advanceTo(T0 + 7 * DAY - 1000)
    await h.flush()
    expect(points(h)).toBe(0)
    await clock.advanceTo(T0 + 7 * DAY)
    await h.flush()
    expect(points(h)).toBe(20)
    expect(inviteLedger(h)).toMatchObject([{ member: 'wxid_alice', delta: 20, reason: 'invite', group: 'fans', room: room.id, at: T0 + 7 * DAY }])
    await clock.advance(30 * DAY)
    await h.flush()
    expect(inviteLedger(h)).toHaveLength(1)
    expect(h.sent).toEqual([])
  })

  it('an invitee who leaves on day 6 earns nothing; one who leaves on day 8 was already counted', async () => {
    const { h, clock, room, alice, bob, carol } = await boot()
    await joinBy(h, room, bob, alice.id)
    await joinBy(h, room, carol, 'wxid_dan')
    await clock.advanceTo(T0 + 6 * DAY)
    await h.leave(room, [bob])
    await clock.advanceTo(T0 + 8 * DAY)
    await h.leave(room, [carol])
    await h.flush()
    expect(points(h, 'wxid_alice')).toBe(0)
    expect(points(h, 'wxid_dan')).toBe(20)
  })

  it('a rejoin earns nothing: back after leaving, or already in another room of the group', async () => {
    const { h, clock, room, room2, alice, bob, carol } = await boot()
    await joinBy(h, room, bob, alice.id)
    await clock.advance(DAY)
    await h.leave(room, [bob])
    await clock.advance(DAY)
    await joinBy(h, room, bob, 'wxid_dan') // invited again, by someone else
    await joinBy(h, room, carol, alice.id)
    await clock.advance(DAY)
    await joinBy(h, room2, carol, 'wxid_dan') // a second room of the same group
    await clock.advance(10 * DAY)
    await h.flush()
    expect(inviteLedger(h).map((e) => e.member)).toEqual(['wxid_alice']) // only Carol's first join
  })

  it('nothing for a join without a member inviting: the bot added them, or it was only found by comparing lists', async () => {
    const { h, clock, room, alice, bob, carol } = await boot()
    await joinBy(h, room, bob, undefined, { byBot: true })
    await joinBy(h, room, carol, undefined, { found: { from: T0 - DAY } })
    await joinBy(h, room, alice, alice.id) // "invited" themselves
    await clock.advance(8 * DAY)
    await h.flush()
    expect(inviteLedger(h)).toEqual([])
  })

  it('keepDays across a restart: the job is durable, and a due invite is paid late after downtime', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot({ adapter })
    await joinBy(first.h, first.room, first.bob, first.alice.id)
    await first.h.store.durable()
    first.h.engine.stop()

    const second = await boot({ adapter, at: T0 + 3 * DAY })
    await second.clock.advanceTo(T0 + 7 * DAY)
    await second.h.flush()
    expect(points(second.h)).toBe(20)
    await second.h.store.durable()
    second.h.engine.stop()
    // and never twice, whatever restarts come
    const third = await boot({ adapter, at: T0 + 9 * DAY })
    await third.clock.advance(DAY)
    await third.h.flush()
    expect(inviteLedger(third.h)).toHaveLength(1)

    const down = new MemoryAdapter()
    const a = await boot({ adapter: down })
    await joinBy(a.h, a.room, a.carol, 'wxid_dan')
    await a.h.store.durable()
    a.h.engine.stop()
    const b = await boot({ adapter: down, at: T0 + 9 * DAY }) // down when it fell due
    await b.h.flush()
    expect(points(b.h, 'wxid_dan')).toBe(20)
  })

  it('邀请榜 lists the top inviters (informational, one per room while it waits)', async () => {
    const { h, clock, room, alice } = await boot()
    await h.say(room, alice, '邀请榜')
    expect(h.texts(room.id)).toEqual(['还没有人上榜～拉好友进群，好友留满 7 天你得 20 分'])
    const dan = { id: 'wxid_dan', name: 'Dan' }
    await joinBy(h, room, dan, 'wxid_erin')
    await h.engine.handleMessage({ room, talker: { id: 'wxid_erin', name: 'Erin' }, message: { id: 'x1', text: 'hi', textWithoutMentions: 'hi', mentionsBot: false, mentionIds: [], date: clock.now() } })
    await clock.advance(DAY)
    for (const n of ['x', 'y']) await joinBy(h, room, { id: `wxid_${n}`, name: n }, alice.id)
    await h.engine.handleMessage({ room, talker: alice, message: { id: 'x2', text: 'hi', textWithoutMentions: 'hi', mentionsBot: false, mentionIds: [], date: clock.now() } })
    await clock.advance(8 * DAY)
    await h.flush()
    h.sent.length = 0
    h.queue.pause()
    await h.say(room, alice, '邀请榜')
    await h.say(room, h.member('Bob'), '邀请榜')
    h.queue.resume()
    await clock.advance(5000)
    await h.flush()
    expect(h.texts(room.id)).toEqual(['@Alice\u2005@Bob\u2005邀请榜 TOP10\n1. Alice 邀请 2 人\n2. Erin 邀请 1 人'])
  })

  it('creditText (optional) @s the inviter in the room', async () => {
    const { h, clock, room, alice, bob } = await boot({ invites: '{ points: 5, keepDays: 1, creditText: "{inviter} 邀请的 {invitee} 已在群里 {days} 天，+{points} 分" }' })
    await h.engine.handleMessage({ room, talker: alice, message: { id: 'a1', text: 'hi', textWithoutMentions: 'hi', mentionsBot: false, mentionIds: [], date: clock.now() } })
    await joinBy(h, room, bob, alice.id)
    await clock.advance(DAY)
    await h.flush()
    expect(h.sent.map((s) => [s.text, s.mentionIds])).toEqual([['@Alice 邀请的 Bob 已在群里 1 天，+5 分', ['wxid_alice']]])
  })

  it('forget: the invitee leaves no pending invite; export names what is kept', async () => {
    const { h, clock, room, alice, bob } = await boot()
    await joinBy(h, room, bob, alice.id)
    const group = h.engine.findGroup('fans')!
    const ctx = h.engine.groupContext(CheckinSkill, group, group.skills.get('checkin') as never)
    expect(CheckinSkill.exportMember!(ctx, alice.id)).toMatchObject({ invites: { pending: [{ invitee: 'wxid_bob', joinedAt: T0 }], count: 0 } })
    CheckinSkill.forgetMember!(ctx, bob.id, 'anon-1')
    await clock.advance(8 * DAY)
    await h.flush()
    expect(inviteLedger(h)).toEqual([])
  })

  it('settings out of range are config errors at file:line:col', () => {
    expect(configErrors(yaml('{ keepDays: 0 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: invites\.keepDays must be above 0/)
    expect(configErrors(yaml('{ keepDays: 400 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: invites\.keepDays is at most 365/)
    expect(configErrors(yaml('{ points: -5 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: invites\.points must be above 0/)
    expect(configErrors(yaml('{ creditText: "{who}" }'), SKILLS)[0]).toMatch(/unknown template variable \{who\}/)
  })
})
