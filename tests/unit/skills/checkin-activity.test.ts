import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness, type Harness } from '../../helpers/harness.js'

const ZONE = 'Asia/Shanghai'
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: ZONE }).toMillis()

const ACTIVITY = '{ points: 1, minLength: 5, cooldown: 60s, dailyCap: 3 }'

const yaml = (activity = ACTIVITY, more = '') => `
bot:
  timezone: ${ZONE}
  admins: [wxid_boss]
  tags:
    - tag: 话痨
      when: { points: 3, pool: fans }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans, activity: ${activity} }
      guard: { block: { links: true, repeat: { times: 3, minutes: 10 } } }
      tags: {}
      shop: { items: [{ id: sample, name: 小样, price: 100 }] }
      live: {}
      chain: {}${more}
  - name: fans-2
    match: { topic: "二群*" }
    skills:
      checkin: { pool: fans, activity: ${activity} }
`

async function setup(opts: { activity?: string; adapter?: MemoryAdapter; at?: string } = {}) {
  const clock = new FakeClock(sh(opts.at ?? '2026-11-26 10:00:00'))
  const h = await harness(yaml(opts.activity), { clock, adapter: opts.adapter })
  return { h, clock, room: h.room('粉丝1群', 'room1@chatroom'), room2: h.room('二群', 'room2@chatroom'), alice: h.member('Alice') }
}

const total = (h: Harness, id = 'wxid_alice') => h.engine.points('fans').get(id)?.total ?? 0
const activityLedger = (h: Harness) => h.engine.points('fans').ledger().filter((e) => e.reason === 'activity')

describe('checkin.activity: points for speaking', () => {
  it('a message of minLength characters earns points, silently, in the ledger with reason activity', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '今天天气真好呀')
    expect(total(h)).toBe(1)
    expect(activityLedger(h)).toMatchObject([{ member: 'wxid_alice', delta: 1, reason: 'activity', group: 'fans', room: room.id }])
    expect(h.sent).toEqual([])
  })

  it('shorter than minLength (mentions and spaces not counted) earns nothing', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '好 的 呀 啊')
    await h.say(room, alice, '@Bob\u2005哈哈', { mentionIds: ['wxid_bob'] })
    expect(total(h)).toBe(0)
  })

  it('minLength counts characters, an emoji as one (not its two UTF-16 halves)', async () => {
    const { h, room, alice, clock } = await setup()
    await h.say(room, alice, '👍👍👍👍') // 4 characters, 8 UTF-16 units
    expect(total(h)).toBe(0)
    await h.say(room, alice, '好👍👍👍') // 4
    expect(total(h)).toBe(0)
    await clock.advance(60_000)
    await h.say(room, alice, '👍👍👍👍👍') // 5
    expect(total(h)).toBe(1)
  })

  it('once per cooldown; the cooldown is durable across a restart', async () => {
    const adapter = new MemoryAdapter()
    const first = await setup({ adapter })
    await first.h.say(first.room, first.alice, '第一条消息呀')
    await first.clock.advance(30_000)
    await first.h.say(first.room, first.alice, '第二条消息呀')
    expect(total(first.h)).toBe(1)
    await first.h.store.durable()
    first.h.engine.stop()

    const second = await setup({ adapter, at: '2026-11-26 10:00:50' })
    await second.h.say(second.room, second.alice, '第三条消息呀')
    expect(total(second.h)).toBe(1)
    await second.clock.advance(10_000) // 60 s after the first
    await second.h.say(second.room, second.alice, '第四条消息呀')
    expect(total(second.h)).toBe(2)
  })

  it('a text the member already sent today does not count again (also when it was sent in the cooldown); tomorrow it does', async () => {
    const { h, room, alice, clock } = await setup({ activity: '{ points: 1, minLength: 5, cooldown: 60s, dailyCap: 100 }' })
    await h.say(room, alice, '第一条消息呀')
    await h.say(room, alice, '冷却里的消息') // in the cooldown: no points, but remembered
    await clock.advance(61_000)
    await h.say(room, alice, '第一条消息呀')
    await h.say(room, alice, '冷却里的消息')
    expect(total(h)).toBe(1)
    await clock.advanceTo(sh('2026-11-27 09:00:00'))
    await h.say(room, alice, '第一条消息呀')
    expect(total(h)).toBe(2)
  })

  it('never above dailyCap a day, across the groups of one pool; the next day counts again', async () => {
    const { h, room, room2, alice, clock } = await setup()
    for (let i = 0; i < 6; i++) {
      await h.say(i % 2 ? room2 : room, alice, `第${i}条不同的消息`)
      await clock.advance(61_000)
    }
    expect(total(h)).toBe(3)
    // at the cap nothing more is written that day (a chatty member costs a read, not a write)
    const row = h.store.get(h.store.keys('checkin/pool:fans/activity/2026-11-26/')[0]!) as { hashes: string[]; earned: number }
    expect(row).toMatchObject({ earned: 3 })
    expect(row.hashes).toHaveLength(3)
    await clock.advanceTo(sh('2026-11-27 00:00:30'))
    await h.say(room, alice, '新的一天新的话')
    expect(total(h)).toBe(4)
  })

  it('dailyCap not a multiple of points: the last count is cut to the cap', async () => {
    const { h, room, alice, clock } = await setup({ activity: '{ points: 2, minLength: 1, cooldown: 1s, dailyCap: 3 }' })
    for (const t of ['一', '二', '三']) {
      await h.say(room, alice, t)
      await clock.advance(2000)
    }
    expect(total(h)).toBe(3)
    expect(activityLedger(h).map((e) => e.delta)).toEqual([2, 1])
  })

  it('a message that earned a guard strike earns no activity points', async () => {
    const { h, room, alice, clock } = await setup({ activity: '{ points: 1, minLength: 5, cooldown: 1s, dailyCap: 100 }' })
    await h.say(room, alice, '看看这个 https://spam.example.com 好东西')
    expect(h.texts(room.id)[0]).toContain('本群不允许')
    expect(total(h)).toBe(0)
    // the repeat rule: the third same text is a strike (the second was already a repeat of today)
    for (let i = 0; i < 3; i++) {
      await clock.advance(2000)
      await h.say(room, alice, '大家好大家好')
    }
    expect(h.texts(room.id).filter((t) => t.includes('本群不允许'))).toHaveLength(2)
    expect(total(h)).toBe(1)
  })

  it('check-in triggers and other skills\' triggers and commands earn nothing', async () => {
    const { h, room, alice, clock } = await setup({ activity: '{ points: 1, minLength: 2, cooldown: 1s, dailyCap: 100 }' })
    for (const t of ['签到', '积分榜', '我的积分', '我的标签', '积分商城', '兑换 sample', '直播预告', '预约', '接龙名单', '#stats', '#接龙 周六']) {
      await h.say(room, alice, t)
      await clock.advance(2000)
    }
    expect(h.engine.points('fans').ledger().map((e) => e.reason)).toEqual(['checkin'])
    await h.say(room, alice, '这句是聊天')
    expect(activityLedger(h)).toHaveLength(1)
  })

  it('counts in leaderboards and rule tags like check-in points', async () => {
    const { h, room, alice, clock } = await setup()
    for (let i = 0; i < 3; i++) {
      await h.say(room, alice, `第${i}条不同的消息`)
      await clock.advance(61_000)
    }
    expect(h.engine.tags.has('wxid_alice', '话痨')).toBe(true)
    await h.say(room, h.member('Bob'), '积分榜')
    expect(h.texts(room.id).at(-1)).toBe('积分榜 TOP10\n1. Alice 3')
  })

  it('keeps short hashes of the day\'s texts, never the texts; old days are swept', async () => {
    const { h, room, alice, clock } = await setup()
    await h.say(room, alice, '这是一条秘密的消息')
    const dump = JSON.stringify(h.store.keys('checkin/').map((k) => [k, h.store.get(k)]))
    expect(dump).not.toContain('秘密')
    expect(h.store.keys('checkin/pool:fans/activity/2026-11-26/')).toHaveLength(1)
    await clock.advanceTo(sh('2026-11-28 10:00:00'))
    h.engine.sweep()
    expect(h.store.keys('checkin/pool:fans/activity/')).toEqual([])
  })

  it('settings out of range are config errors at file:line:col', () => {
    const errors = (a: string) => configErrors(yaml(a), SKILLS)
    // one per group using it, each at the value of dailyCap in its line
    expect(errors('{ points: 5, dailyCap: 3 }')).toEqual([12, 21].map((line) => `bot.yaml:${line}:63: dailyCap (3) is below points (5): no message could ever count`))
    expect(errors('{ cooldown: 0s }')[0]).toMatch(/^bot\.yaml:\d+:\d+: "0s" is not a duration/)
    expect(errors('{ cooldown: 2d }')[0]).toMatch(/^bot\.yaml:\d+:\d+: activity\.cooldown is at most 24h/)
    expect(errors('{ minLength: 0 }')[0]).toMatch(/^bot\.yaml:\d+:\d+: activity\.minLength must be above 0/)
    expect(errors('{ points: 1.5 }')[0]).toMatch(/^bot\.yaml:\d+:\d+: activity\.points must be a whole number/)
    expect(errors('{ dailyCap: 1000001 }')[0]).toMatch(/dailyCap is at most 100000/)
    expect(errors(ACTIVITY)).toEqual([])
  })
})
