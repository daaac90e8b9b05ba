import { describe, expect, it } from 'vitest'
import { harness, type Harness } from '../../helpers/harness.js'

const MIN = 60_000

const YAML = `
bot:
  admins: [wxid_boss]
  members: { reconcileEvery: 5m }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { batchSeconds: 0, text: "欢迎 {names}" }
`

function list(h: Harness, roomId: string, ids: string[]): void {
  h.actions.members.set(roomId, ['wxid_bot', ...ids])
}

describe('joins and leaves the puppet does not announce: the room’s member list compared with the record', () => {
  it('the first read records who is there (no joins, no welcome); a later one finds a join and welcomes it', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    list(h, room.id, ['wxid_a', 'wxid_b'])
    h.actions.infos.set('wxid_a', { name: '阿A', nick: 'A' })
    expect(await h.engine.reconcileRoom(room.id)).toEqual({ joined: [], left: [], present: 2, held: 0 })
    await h.flush()
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBeUndefined()
    expect(h.texts(room.id)).toEqual([])
    expect(h.engine.members.membership('wxid_a', 'fans')).toEqual({ in: true, roomId: room.id, joins: 0 })
    expect(h.engine.members.get('wxid_a')!.names).toEqual(['A', '阿A'])

    const firstRead = h.clock.now()
    await h.clock.advance(4 * MIN)
    list(h, room.id, ['wxid_a', 'wxid_b', 'wxid_c'])
    h.actions.infos.set('wxid_c', { name: '小C', inviterId: 'wxid_a' })
    expect(await h.engine.reconcileRoom(room.id)).toMatchObject({ joined: ['wxid_c'], left: [] })
    await h.flush()
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBe(1)
    expect(h.texts(room.id).map((t) => t.trim())).toEqual(['欢迎 @小C'])
    const c = h.engine.members.get('wxid_c')!
    expect(c.events).toEqual([{ at: h.clock.now(), kind: 'join', group: 'fans', room: room.id, by: 'wxid_a', found: true, from: firstRead }])
    expect(c.rooms[0]!.found).toEqual({ from: firstRead, to: h.clock.now() })
  })

  it('a join found more than 10 minutes after the previous read is recorded but not welcomed', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    list(h, room.id, ['wxid_a'])
    await h.engine.reconcileRoom(room.id)
    await h.clock.advance(11 * MIN)
    list(h, room.id, ['wxid_a', 'wxid_d'])
    await h.engine.reconcileRoom(room.id)
    await h.flush()
    expect(h.engine.members.membership('wxid_d', 'fans')?.in).toBe(true)
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBe(1)
    expect(h.texts(room.id)).toEqual([])
  })

  it('a silent leave is found; the puppet announcing it later is the same leave', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    list(h, room.id, ['wxid_a', 'wxid_b'])
    await h.engine.reconcileRoom(room.id)
    await h.clock.advance(MIN)
    list(h, room.id, ['wxid_a'])
    expect(await h.engine.reconcileRoom(room.id)).toMatchObject({ left: ['wxid_b'] })
    await h.leave(room, [h.member('B', 'wxid_b')])
    expect(h.engine.stats.forRoom('fans', room.id).leaves).toBe(1)
    expect(h.engine.members.get('wxid_b')!.events.filter((e) => e.kind === 'leave')).toHaveLength(1)
  })

  it('a join found and then announced: counted and welcomed once, the announcement adds the inviter', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    list(h, room.id, [])
    await h.engine.reconcileRoom(room.id)
    await h.clock.advance(MIN)
    list(h, room.id, ['wxid_e'])
    await h.engine.reconcileRoom(room.id)
    await h.engine.handleJoin({ room, members: [h.member('E')], memberCount: 2, by: 'wxid_a' })
    await h.flush()
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBe(1)
    expect(h.texts(room.id)).toHaveLength(1)
    expect(h.engine.members.membership('wxid_e', 'fans')).toMatchObject({ in: true, inviterId: 'wxid_a', joins: 1 })
  })

  it('a list read while a join was being handled is not applied (the event wins)', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    list(h, room.id, [])
    await h.engine.reconcileRoom(room.id)
    // the list (without F) is read, then F's join is handled before the comparison
    const reading = h.engine.reconcileRoom(room.id)
    await h.engine.handleJoin({ room, members: [h.member('F')], memberCount: 2 })
    expect(await reading).toBeUndefined()
    expect(h.engine.members.membership('wxid_f', 'fans')?.in).toBe(true)
  })

  it('a list dropping many members at once is applied only when the next read says the same', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    const ids = Array.from({ length: 20 }, (_, i) => `wxid_m${i}`)
    list(h, room.id, ids)
    await h.engine.reconcileRoom(room.id)
    list(h, room.id, ids.slice(0, 10))
    expect(await h.engine.reconcileRoom(room.id)).toMatchObject({ left: [], held: 10 })
    expect(h.engine.members.membership('wxid_m15', 'fans')?.in).toBe(true)
    // a puppet's truncated answer, then the whole list again: nobody left
    list(h, room.id, ids)
    expect(await h.engine.reconcileRoom(room.id)).toMatchObject({ left: [], held: 0 })
    list(h, room.id, ids.slice(0, 10))
    await h.engine.reconcileRoom(room.id)
    expect((await h.engine.reconcileRoom(room.id))!.left).toHaveLength(10)
    expect(h.engine.members.membership('wxid_m15', 'fans')?.in).toBe(false)
  })

  it('a list without the bot in it is not this room: nothing is recorded', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    h.actions.members.set(room.id, [])
    expect(await h.engine.reconcileRoom(room.id)).toBeUndefined()
    expect(h.engine.members.listedAt(room.id)).toBeUndefined()
  })

  it('an unknown member speaking is a join found now (welcomed), once the room was read', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    // before any read, a speaker is simply not known yet (the upgrade): no join
    await h.say(room, h.member('G'), '你好')
    expect(h.engine.members.membership('wxid_g', 'fans')).toBeUndefined()
    list(h, room.id, ['wxid_g'])
    await h.engine.reconcileRoom(room.id)
    await h.clock.advance(2 * MIN)
    await h.say(room, h.member('Hal'), '我是新来的')
    expect(h.engine.members.membership('wxid_hal', 'fans')).toMatchObject({ in: true, joins: 1 })
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBe(1)
    expect(h.texts(room.id).map((t) => t.trim())).toEqual(['欢迎 @Hal'])
    // the list, read later, agrees: nothing more
    list(h, room.id, ['wxid_g', 'wxid_hal'])
    expect(await h.engine.reconcileRoom(room.id)).toMatchObject({ joined: [], left: [] })
  })

  it('after a login every room is read, one at a time with a pause, then again every reconcileEvery', async () => {
    const h = await harness(YAML, { reconcile: true, roomsReady: false })
    const rooms = [h.room('粉丝1群'), h.room('粉丝2群'), h.room('粉丝3群')]
    for (const r of rooms) list(h, r.id, ['wxid_a'])
    h.engine.markRoomsReady()
    await h.clock.advance(10_000)
    expect(h.actions.lists).toEqual(rooms.map((r) => r.id))
    for (const r of rooms) expect(h.engine.members.listedAt(r.id)).toBeDefined()
    const times = rooms.map((r) => h.engine.members.listedAt(r.id)!)
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(1000)
    expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(1000)
    await h.clock.advance(5 * MIN)
    expect(h.actions.lists).toHaveLength(6)
  })
})
