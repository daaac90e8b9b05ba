import { DateTime } from 'luxon'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { ChainSkill } from '../../../skills/chain/index.js'
import { ChainBook, type Chain } from '../../../skills/chain/ChainBook.js'
import { parseOpen, parseRepost, parseWhen } from '../../../skills/chain/parse.js'
import { CheckinSkill } from '../../../skills/checkin/index.js'
import { GuardSkill } from '../../../skills/guard/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import type { RoomRef, Member } from '../../../src/engine/Skill.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { Namespace } from '../../../src/store/Store.js'
import { harness, type Harness } from '../../helpers/harness.js'
import { configErrors } from '../../helpers/configErrors.js'
import { SKILLS } from '../../../skills/index.js'

const ZONE = 'Asia/Shanghai'
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: ZONE }).toMillis()

const yaml = (chain = '{}', checkin = '{ triggers: [打卡] }') => `
bot: { timezone: ${ZONE}, admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      chain: ${chain}
      checkin: ${checkin}
`

async function setup(opts: { chain?: string; checkin?: string; adapter?: MemoryAdapter; at?: string; log?: pino.Logger } = {}) {
  const clock = new FakeClock(sh(opts.at ?? '2026-11-26 10:00'))
  const h = await harness(yaml(opts.chain, opts.checkin), { skills: [ChainSkill, CheckinSkill], clock, adapter: opts.adapter, log: opts.log })
  const room = h.room('粉丝1群', 'room1@chatroom')
  const boss = h.member('Boss')
  return { h, clock, room, boss }
}

const members = (h: Harness, n: number): Member[] => Array.from({ length: n }, (_, i) => h.member(`成员${i + 1}`, `wxid_m${i + 1}`))
const book = (h: Harness) => new ChainBook(new Namespace(h.store, 'chain/').child('group:fans'))
const openChain = (h: Harness, roomId: string): Chain | undefined => book(h).openIn(roomId)

async function groupNote(h: Harness, room: RoomRef, talker: Member, text: string, id: string): Promise<void> {
  await h.engine.handleMessage({
    room,
    talker,
    message: { id, kind: 'groupNote', card: { type: 'GroupNote' }, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: h.clock.now() },
  })
  await h.flush()
}

describe('chain: opening', () => {
  it('an admin opens a chain in this room; the room is told how to join', async () => {
    const { h, room, boss } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课 限20人 截止 20:00')
    expect(h.texts(room.id)).toEqual(['【接龙】周六烘焙课（限 20 人 · 截止 11月26日 20:00）\n发「接龙」或「接龙 备注」参加，「取消接龙」退出，「接龙名单」看名单'])
    expect(openChain(h, room.id)).toMatchObject({ title: '周六烘焙课', limit: 20, deadline: sh('2026-11-26 20:00'), status: 'open' })
  })

  it('bad input gets a usage line and opens nothing', async () => {
    const { h, room, boss } = await setup()
    await h.say(room, boss, '#接龙')
    await h.say(room, boss, '#接龙 周六 限0人')
    await h.say(room, boss, '#接龙 周六 截止 09:00')
    await h.say(room, boss, '#接龙 限5人')
    await h.say(room, boss, '#接龙 周六 截止 25:00')
    const t = h.texts(room.id)
    expect(t).toHaveLength(5)
    for (const line of t) expect(line).toContain('用法：#接龙 <标题> [限<N>人] [截止 20:00]')
    expect(t[1]).toContain('人数上限要大于 0')
    expect(t[2]).toContain('截止时间 11月26日 09:00 已经过了')
    expect(t[3]).toContain('接龙要有标题')
    expect(t[4]).toContain('截止时间看不懂')
    expect(openChain(h, room.id)).toBeUndefined()
    expect(book(h).all()).toEqual([])
  })

  it('a second chain while one is open: the admin is told which one is open', async () => {
    const { h, room, boss } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    await h.say(room, h.member('Alice'), '接龙')
    await h.say(room, boss, '#接龙 周日插花')
    expect(h.texts(room.id).at(-1)).toBe('本群已有进行中的接龙「周六烘焙课」（c1，1 人）。先发「#接龙 结束」再开新的')
    expect(book(h).all().map((c) => c.title)).toEqual(['周六烘焙课'])
  })

  it('a member cannot open one (silently), unless chain.members is true', async () => {
    const { h, room } = await setup()
    await h.say(room, h.member('Alice'), '#接龙 我的团购')
    expect(h.sent).toEqual([])
    expect(openChain(h, room.id)).toBeUndefined()

    const m = await setup({ chain: '{ members: true }' })
    const alice = m.h.member('Alice')
    await m.h.say(m.room, alice, '#接龙 我的团购')
    expect(openChain(m.h, m.room.id)?.openedBy).toEqual({ id: 'wxid_alice', name: 'Alice' })
    // the opener may close it; another member may not
    await m.h.say(m.room, m.h.member('Bob'), '#接龙 结束')
    expect(openChain(m.h, m.room.id)).toBeDefined()
    await m.h.say(m.room, alice, '#接龙 结束')
    expect(openChain(m.h, m.room.id)).toBeUndefined()
  })

  it('a chain belongs to its room: joining in another room of the group does not reach it', async () => {
    const { h, room, boss } = await setup()
    const room2 = h.room('粉丝2群', 'room2@chatroom')
    await h.say(room, boss, '#接龙 周六烘焙课')
    await h.say(room2, h.member('Alice'), '接龙')
    expect(h.texts(room2.id)).toEqual(['本群现在没有进行中的接龙'])
    expect(book(h).entries(openChain(h, room.id)!)).toEqual([])
  })
})

describe('chain: joining', () => {
  it('joins inside the window are ONE confirmation, never one message per joiner', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    const people = members(h, 12)
    for (const [i, m] of people.entries()) await h.say(room, m, i === 0 ? '接龙 2份' : i % 2 ? '+1' : '接龙')
    expect(h.texts(room.id)).toHaveLength(1) // only the opening so far
    await clock.advance(5000)
    await h.flush()
    const t = h.texts(room.id)
    expect(t).toHaveLength(2)
    expect(t[1]).toBe(`接龙「周六烘焙课」+12：成员1（2份）、${people.slice(1).map((m) => m.name).join('、')}（共 12 人）`)
    expect(book(h).entries(openChain(h, room.id)!).map((e) => [e.place, e.member, e.note])).toEqual(people.map((m, i) => [i + 1, m.id, i === 0 ? '2份' : '']))
  })

  it('joining twice is one entry; the second time is an informational reply', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    const alice = h.member('Alice')
    await h.say(room, alice, '接龙')
    await h.say(room, alice, '+1')
    await h.say(room, alice, '接龙')
    await clock.advance(5000)
    await h.flush()
    // each repeat is told (informational, one per member while it waits); the join is confirmed once
    expect(h.texts(room.id).slice(1)).toEqual(['Alice 已在接龙「周六烘焙课」里（第 1 位）', 'Alice 已在接龙「周六烘焙课」里（第 1 位）', '接龙「周六烘焙课」+1：Alice（共 1 人）'])
    expect(book(h).entries(openChain(h, room.id)!)).toHaveLength(1)
  })

  it('a waitlist beyond the limit; a cancel moves the first waiting up and @s them', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课 限2人')
    const [a, b, c, d] = members(h, 4)
    for (const m of [a!, b!, c!, d!]) await h.say(room, m, '接龙')
    await clock.advance(5000)
    await h.flush()
    expect(h.texts(room.id).slice(1)).toEqual(['接龙「周六烘焙课」+2：成员1、成员2（共 2/2 人）\n已满，候补：成员3、成员4（候补共 2 人，有人退出会按顺序递补）'])
    h.sent.length = 0
    await h.say(room, a!, '取消接龙')
    await clock.advance(5000)
    await h.flush()
    expect(h.sent.map((s) => [s.text, s.mentionIds])).toEqual([['已退出接龙「周六烘焙课」：成员1\n@成员3 候补转正，你已在接龙「周六烘焙课」名单里啦', ['wxid_m3']]])
    expect(book(h).entries(openChain(h, room.id)!).map((e) => [e.member, e.waiting, e.place])).toEqual([
      ['wxid_m2', false, 1],
      ['wxid_m3', false, 2],
      ['wxid_m4', true, 1],
    ])
  })

  it('a cancel by someone waiting promotes no one; a cancel by someone not in gets a short answer', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六 限1人')
    const [a, b, c] = members(h, 3)
    await h.say(room, a!, '接龙')
    await h.say(room, b!, '接龙')
    await h.say(room, b!, '取消接龙')
    await h.say(room, c!, '取消接龙')
    await clock.advance(5000)
    await h.flush()
    const t = h.texts(room.id).slice(1)
    expect(t).toEqual(['成员3 不在进行中的接龙里', '接龙「周六」+1：成员1（共 1/1 人）\n已退出接龙「周六」：成员2'])
    expect(h.sent.every((s) => s.mentionIds.length === 0)).toBe(true)
  })

  it('"+1" with no chain open is ordinary chat and goes on to the next skill', async () => {
    const { h, room } = await setup({ checkin: '{ triggers: ["+1"] }' })
    await h.say(room, h.member('Alice'), '+1')
    expect(h.texts(room.id)).toEqual(['Alice 签到成功 +10，连续 1 天，共 10 分'])
  })

  it('a repost of WeChat\'s own 接龙 adds the sender once, with the note on their line', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    const li = h.member('李四', 'wxid_li')
    const repost = '#接龙\n周六烘焙课\n\n1. 张三\n2. 李四 2份 要无糖'
    await h.say(room, li, repost)
    await h.say(room, li, repost + '\n3. 王五') // someone else's later repost, sent again by 李四
    const zhao = h.member('赵六', 'wxid_zhao')
    await h.say(room, zhao, '#接龙\n周六烘焙课\n1. 张三\n2. 李四 2份 要无糖\n3. 小赵 1份')
    await clock.advance(5000)
    await h.flush()
    const entries = book(h).entries(openChain(h, room.id)!)
    expect(entries.map((e) => [e.member, e.note, e.via])).toEqual([
      ['wxid_li', '2份 要无糖', 'repost'],
      // a line not starting with the sender's name: the sender's own line is the last one, taken whole
      ['wxid_zhao', '小赵 1份', 'repost'],
    ])
  })

  it("WeChat's group-note message joins the sender as well", async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    const li = h.member('李四', 'wxid_li')
    await groupNote(h, room, li, '#接龙\n周六烘焙课\n1. 李四 3份', 'gn1')
    await groupNote(h, room, h.member('王五', 'wxid_wang'), '', 'gn2')
    await clock.advance(5000)
    await h.flush()
    expect(book(h).entries(openChain(h, room.id)!).map((e) => [e.member, e.note, e.via])).toEqual([
      ['wxid_li', '3份', 'groupNote'],
      ['wxid_wang', '', 'groupNote'],
    ])
  })

  it('接龙名单 is one coalesced list per room: several askers are @-ed in one reply', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课 限1人')
    const [a, b] = members(h, 2)
    await h.say(room, a!, '接龙 2份')
    await h.say(room, b!, '接龙')
    await clock.advance(5000)
    await h.flush()
    h.sent.length = 0
    // the queue holds (a busy room): the list waits while the others ask
    h.queue.pause()
    await h.say(room, a!, '接龙名单')
    await h.say(room, b!, '接龙名单')
    await h.say(room, boss, '接龙名单')
    h.queue.resume()
    await clock.advance(60_000)
    await h.flush()
    const lists = h.sent.filter((s) => s.text.includes('【接龙】'))
    expect(lists).toHaveLength(1)
    expect(lists[0]!.text).toBe('@成员1\u2005@成员2\u2005@Boss\u2005【接龙】周六烘焙课（限 1 人）\n1. 成员1 2份\n候补：\n1. 成员2\n共 1/1 人 · 候补 1 人')
  })
})

describe('chain: closing', () => {
  it('#接龙 结束 closes and posts the final list; later joins find no chain', async () => {
    const { h, room, boss } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课')
    await h.say(room, h.member('Alice'), '接龙 2份')
    await h.say(room, boss, '#接龙 结束')
    const t = h.texts(room.id)
    // the waiting confirmation goes out first, then the final list
    expect(t.slice(1)).toEqual(['接龙「周六烘焙课」+1：Alice 2份（共 1 人）'.replace('Alice 2份', 'Alice（2份）'), '【接龙结束】周六烘焙课（已截止）共 1 人\n1. Alice 2份\n共 1 人'])
    await h.say(room, h.member('Bob'), '接龙')
    expect(h.texts(room.id).at(-1)).toBe('本群现在没有进行中的接龙')
    // the list now shows the final one
    await h.say(room, h.member('Bob'), '接龙名单')
    expect(h.texts(room.id).at(-1)).toBe('【接龙】周六烘焙课（已结束）\n1. Alice 2份\n共 1 人')
  })

  it('the deadline closes it by itself and posts the final list', async () => {
    const { h, room, boss, clock } = await setup()
    await h.say(room, boss, '#接龙 周六烘焙课 截止 10:30')
    await h.say(room, h.member('Alice'), '接龙')
    await clock.advanceTo(sh('2026-11-26 10:30'))
    await h.flush()
    expect(h.texts(room.id).at(-1)).toBe('【接龙结束】周六烘焙课（已到截止时间）共 1 人\n1. Alice\n共 1 人')
    expect(book(h).all()[0]).toMatchObject({ status: 'closed', closedBy: 'deadline', closedAt: sh('2026-11-26 10:30') })
    await h.say(room, h.member('Bob'), '接龙')
    expect(h.texts(room.id).at(-1)).toBe('本群现在没有进行中的接龙')
  })

  it('the chain, its joiners and its deadline survive a restart', async () => {
    const adapter = new MemoryAdapter()
    const first = await setup({ adapter })
    await first.h.say(first.room, first.boss, '#接龙 周六烘焙课 限1人 截止 12:00')
    await first.h.say(first.room, first.h.member('Alice'), '接龙')
    await first.h.say(first.room, first.h.member('Bob'), '接龙')
    await first.clock.advance(5000)
    await first.h.flush()
    await first.h.store.durable()
    first.h.engine.stop()

    const second = await setup({ adapter, at: '2026-11-26 11:00' })
    await second.h.say(second.room, second.h.member('Alice'), '取消接龙')
    await second.clock.advance(5000)
    await second.h.flush()
    expect(second.h.sent.map((s) => s.mentionIds)).toEqual([['wxid_bob']])
    await second.clock.advanceTo(sh('2026-11-26 12:00'))
    await second.h.flush()
    expect(second.h.texts(second.room.id).at(-1)).toBe('【接龙结束】周六烘焙课（已到截止时间）共 1 人\n1. Bob\n共 1/1 人')
  })

  it('a confirmation waiting when the bot dies goes out once after the restart', async () => {
    const adapter = new MemoryAdapter()
    const first = await setup({ adapter })
    await first.h.say(first.room, first.boss, '#接龙 周六烘焙课')
    await first.h.say(first.room, first.h.member('Alice'), '接龙')
    await first.h.store.durable()
    first.h.engine.stop() // killed inside the window: its timer dies with it

    const second = await setup({ adapter, at: '2026-11-26 10:02' })
    await second.h.flush()
    expect(second.h.texts(second.room.id)).toEqual(['接龙「周六烘焙课」+1：Alice（共 1 人）'])
    await second.clock.advance(60_000)
    await second.h.flush()
    expect(second.h.sent).toHaveLength(1)
  })

  it('a deadline that passed while the bot was down long ago closes it without a late post', async () => {
    const adapter = new MemoryAdapter()
    const lines: string[] = []
    const first = await setup({ adapter })
    await first.h.say(first.room, first.boss, '#接龙 周六烘焙课 截止 11:00')
    await first.h.store.durable()
    first.h.engine.stop()
    const log = pino({ level: 'warn' }, { write: (s: string) => void lines.push(s) })
    const second = await setup({ adapter, at: '2026-11-26 13:00', log })
    await second.h.flush()
    expect(second.h.sent).toEqual([])
    expect(book(second.h).all()[0]?.status).toBe('closed')
    expect(lines.join('')).toContain('closed without posting the final list')
  })
})

describe('chain: with guard', () => {
  it("guard's repeat rule never counts 接龙, +1, a note or 接龙名单 (the chain declares its triggers)", async () => {
    const clock = new FakeClock(sh('2026-11-26 10:00'))
    const withGuard = yaml().replace('      chain: {}', '      guard: { block: { repeat: { times: 3, minutes: 10, minChars: 2 } } }\n      chain: {}')
    const h = await harness(withGuard, { skills: [GuardSkill, ChainSkill, CheckinSkill], clock })
    const room = h.room('粉丝1群', 'room1@chatroom')
    await h.say(room, h.member('Boss'), '#接龙 周六烘焙课')
    const mei = h.member('Mei')
    for (const text of ['接龙', '+1', '接龙 2份要无糖', '接龙名单', '取消接龙', '#接龙 周日']) {
      for (let i = 0; i < 3; i++) {
        await h.say(room, mei, text)
        await clock.advance(30_000)
      }
    }
    expect(h.texts(room.id).filter((t) => t.includes('不允许'))).toEqual([])
    // conversation said three times still is a repeat
    for (let i = 0; i < 3; i++) await h.say(room, mei, '大家周六见')
    expect(h.texts(room.id).at(-1)).toContain('本群不允许重复发同样的消息')
  })
})

describe('chain: config', () => {
  it('settings out of range are config errors at file:line:col', () => {
    expect(configErrors(yaml('{ confirmSeconds: 0 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: confirmSeconds is at least 1/)
    expect(configErrors(yaml('{ confirmSeconds: 120 }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: confirmSeconds is at most 60/)
    expect(configErrors(yaml('{ command: "接 龙" }'), SKILLS)[0]).toMatch(/^bot\.yaml:7:\d+: command is one word/)
    expect(configErrors(yaml('{ openText: "{who}" }'), SKILLS)[0]).toMatch(/unknown template variable \{who\}/)
  })
})

describe('chain: parsing', () => {
  const now = sh('2026-11-26 10:00')
  it('reads the limit anywhere and the deadline to the end', () => {
    expect(parseOpen('限5人 周六 烘焙 截止 明天 9:30', now, ZONE)).toEqual({ ok: true, title: '周六 烘焙', limit: 5, deadline: sh('2026-11-27 09:30') })
    expect(parseOpen('周六 截止 11-28 20:00', now, ZONE)).toMatchObject({ deadline: sh('2026-11-28 20:00') })
    expect(parseOpen('周六 截止 2026-12-01 08:00', now, ZONE)).toMatchObject({ deadline: sh('2026-12-01 08:00') })
    expect(parseWhen('20：00', now, ZONE)).toBe(sh('2026-11-26 20:00'))
  })
  it('a repost needs numbered lines; plain "#接龙 title" is no repost', () => {
    expect(parseRepost('#接龙 周六烘焙课 限20人', 'Boss')).toBeUndefined()
    expect(parseRepost('#接龙\n周六\n例：张三 1份\n\n1、李四 2份', '李四')).toEqual({ title: '周六', note: '2份' })
  })
})
