import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { pointsBook } from '../../../src/engine/SkillContext.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { harness } from '../../helpers/harness.js'

const YAML = `
bot:
  admins: [wxid_boss]
  tags:
    - tag: 活跃粉
      when: { streak: 3 }
    - tag: 百分粉
      when: { points: 30, pool: sisley }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: sisley, points: 10 }
      tags: {}
  - name: other
    match: { topic: "其他*" }
    skills:
      checkin: { pool: other, points: 20 }
`

const DAY = 24 * 3600_000

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { log, lines, audits: () => lines.filter((l) => l.audit === true) }
}

describe('tags skill', () => {
  it('#tag add/list/del for several @members at once, with source, time and audit lines', async () => {
    const { log, audits } = capture()
    const h = await harness(YAML, { log })
    const room = h.room('粉丝1群')
    const boss = h.member('Boss', 'wxid_boss')
    await h.say(room, boss, '#tag add @Alice\u2005@Bob\u2005VIP', { mentionIds: ['wxid_alice', 'wxid_bob'] })
    expect(h.texts(room.id).at(-1)).toBe('已加上标签「VIP」：Alice、Bob')
    expect(h.engine.tags.of('wxid_alice').VIP).toEqual({ source: 'admin', at: h.clock.now(), by: 'wxid_boss' })
    expect(h.engine.tags.has('wxid_bob', 'VIP')).toBe(true)
    expect(audits().filter((l) => l.action === 'tag add').map((l) => l.contact)).toEqual(['wxid_alice', 'wxid_bob'])

    await h.say(room, boss, '#tag add @Alice VIP', { mentionIds: ['wxid_alice'] })
    expect(h.texts(room.id).at(-1)).toBe('本来就有「VIP」：Alice')

    await h.say(room, boss, '#tag list @Alice', { mentionIds: ['wxid_alice'] })
    expect(h.texts(room.id).at(-1)).toBe('Alice：VIP（管理员 · 11月26日 10:00）')

    await h.say(room, boss, '#tag del @Bob VIP', { mentionIds: ['wxid_bob'] })
    expect(h.texts(room.id).at(-1)).toBe('已去掉标签「VIP」：Bob')
    expect(h.engine.tags.has('wxid_bob', 'VIP')).toBe(false)
    expect(audits().some((l) => l.action === 'tag del' && l.contact === 'wxid_bob')).toBe(true)
    await h.say(room, boss, '#tag list @Bob', { mentionIds: ['wxid_bob'] })
    expect(h.texts(room.id).at(-1)).toBe('Bob：没有标签')
  })

  it('a malformed #tag gets a usage line; a member’s #tag does nothing', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    await h.say(room, h.member('Boss', 'wxid_boss'), '#tag add VIP')
    expect(h.texts(room.id).at(-1)).toContain('用法：#tag add @成员')
    await h.say(room, h.member('Boss', 'wxid_boss'), '#tag')
    expect(h.texts(room.id)).toHaveLength(2)
    const before = h.sent.length
    await h.say(room, h.member('Alice'), '#tag add @Alice VIP', { mentionIds: ['wxid_alice'] })
    expect(h.sent.length).toBe(before)
    expect(h.engine.tags.has('wxid_alice', 'VIP')).toBe(false)
  })

  it('rule tags follow check-ins: a streak in any pool, points in the named pool', async () => {
    const { log, audits } = capture()
    const h = await harness(YAML, { log })
    const fans = h.room('粉丝1群')
    const other = h.room('其他1群')
    const alice = h.member('Alice')
    const bob = h.member('Bob')
    for (let day = 1; day <= 3; day++) {
      await h.say(fans, alice, '签到')
      await h.say(other, bob, '签到')
      if (day === 2) {
        // two days: no streak tag yet, 20 points: not 百分粉 yet
        expect(h.engine.tags.names('wxid_alice')).toEqual([])
      }
      if (day < 3) await h.clock.advance(DAY)
    }
    const now = h.clock.now()
    expect(h.engine.tags.of('wxid_alice')).toEqual({ 活跃粉: { source: 'streak', at: now }, 百分粉: { source: 'points', at: now } })
    // Bob's streak counts in any pool; his 60 points are in pool "other", not sisley
    expect(h.engine.tags.names('wxid_bob')).toEqual(['活跃粉'])
    expect(audits().filter((l) => l.action === 'rule tag').map((l) => [l.contact, l.tag])).toEqual([
      ['wxid_alice', '活跃粉'],
      ['wxid_alice', '百分粉'],
      ['wxid_bob', '活跃粉'],
    ])
    // the tag is kept once earned: a broken streak does not take it away
    await h.clock.advance(3 * DAY)
    await h.say(fans, alice, '签到')
    expect(h.engine.tags.of('wxid_alice').活跃粉).toEqual({ source: 'streak', at: now })
  })

  it('rule tags are stored brand-wide in core/tags with the check-in', async () => {
    const h = await harness(YAML)
    const fans = h.room('粉丝1群')
    const alice = h.member('Alice')
    for (let i = 0; i < 3; i++) {
      await h.say(fans, alice, '签到')
      await h.clock.advance(DAY)
    }
    const keys = h.store.keys('core/').filter((k) => k.includes('tags'))
    expect(keys.length).toBeGreaterThan(0)
    expect(h.store.get(keys[0]!)).toMatchObject({ 活跃粉: { source: 'streak' } })
  })

  it('我的标签 lists a member’s own tags, in a group and in a private chat', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    const alice = h.member('Alice')
    await h.say(room, alice, '我的标签')
    expect(h.texts(room.id)).toEqual(['Alice 还没有标签～'])
    h.engine.tags.add('wxid_alice', 'VIP', { source: 'admin', at: 0 })
    h.engine.tags.add('wxid_alice', '活跃粉', { source: 'streak', at: 0 })
    await h.say(room, alice, '我的标签')
    expect(h.texts(room.id).at(-1)).toBe('Alice 的标签：VIP、活跃粉')
    await h.dm(alice, '我的标签')
    expect(h.texts('wxid_alice')).toEqual(['Alice 的标签：VIP、活跃粉'])
  })

  it('bot.tags errors are reported at their place', async () => {
    await expect(harness(YAML.replace('when: { streak: 3 }', 'when: { pool: x }'))).rejects.toThrow(/test\.yaml:6:\d+: when needs streak or points/)
  })
})

describe('keys that come from outside: tags and contact ids named like Object.prototype', () => {
  it('tags constructor, __proto__, toString and a contact __proto__ work through chat and survive restarts on the file store', async () => {
    const { log, audits } = capture()
    const dir = await mkdtemp(join(tmpdir(), 'siyu-proto-keys-'))
    try {
      const clock = new FakeClock()
      const boot = async () => {
        const adapter = new FileAdapter(join(dir, 'data'))
        return harness(YAML, { log, clock, adapter })
      }
      let h = await boot()
      let room = h.room('粉丝1群', 'room1@chatroom')
      const boss = h.member('Boss', 'wxid_boss')
      const proto = h.member('Proto', '__proto__')
      // a member whose contact id is __proto__ checks in; tags named like Object.prototype's keys
      await h.say(room, proto, '签到')
      expect(h.texts(room.id).at(-1)).toContain('Proto 签到成功 +10')
      for (const tag of ['constructor', '__proto__', 'toString']) {
        await h.say(room, boss, `#tag add @Alice ${tag}`, { mentionIds: ['wxid_alice'] })
        expect(h.texts(room.id).at(-1)).toBe(`已加上标签「${tag}」：Alice`)
      }
      await h.say(room, boss, '#tag add @Proto constructor', { mentionIds: ['__proto__'] })
      expect(h.texts(room.id).at(-1)).toBe('已加上标签「constructor」：Proto')
      // deleting a tag Bob never had: nothing to delete, no audit line
      await h.say(room, boss, '#tag del @Bob toString', { mentionIds: ['wxid_bob'] })
      expect(h.texts(room.id).at(-1)).toBe('本来就没有「toString」：Bob')
      expect(audits().filter((l) => l.action === 'tag del')).toEqual([])
      expect(h.engine.tags.has('wxid_bob', 'constructor')).toBe(false)
      expect(h.engine.tags.contactsWith('toString')).toEqual(['wxid_alice'])

      // a restart (the snapshot written at close), and another (read back from the snapshot)
      for (let i = 0; i < 2; i++) {
        h.engine.stop()
        await h.store.close()
        h = await boot()
        room = h.room('粉丝1群', 'room1@chatroom')
        await h.say(room, boss, '#tag list @Alice @Proto', { mentionIds: ['wxid_alice', '__proto__'] })
        expect(h.texts(room.id).at(-1)).toMatch(/^Alice：__proto__（管理员 · .+）、constructor（管理员 · .+）、toString（管理员 · .+）\nProto：constructor（管理员 · .+）$/)
        expect(pointsBook(h.store, 'sisley').get('__proto__')).toMatchObject({ name: 'Proto', total: 10, checkins: 1 })
        expect(h.engine.tags.names('__proto__')).toEqual(['constructor'])
      }
      h.engine.stop()
      await h.store.close()
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
