import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { CardDetails, MessageKind, RoomRef, Member } from '../../../src/engine/Skill.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { guardBlacklist, guardHistory, pardon } from '../../../skills/guard/manage.js'
import { harness, type Harness } from '../../helpers/harness.js'

const HOUR = 3600_000
const DAY = 24 * HOUR

function yaml(guard: string, extraSkills = ''): string {
  return `
bot:
  admins: [wxid_boss, wxid_boss2]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
${extraSkills
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => `      ${l}`)
  .join('\n')}
      guard:
${guard
  .trim()
  .split('\n')
  .map((l) => `        ${l}`)
  .join('\n')}
`
}

const BASIC = `
block:
  words: [加微信, 代购, VX]
  regex: ["1[3-9]\\\\d{9}"]
  flood: { messages: 8, seconds: 10 }
  repeat: { times: 3, minutes: 10 }
exempt: { tags: [staff], ids: [wxid_kol] }
strikes: 3
window: 7d
warnText: "{name} 本群不允许{rule}，再 {remaining} 次将被移出（第 {strikes} 次）"
removeText: "{name} 因{rule}已被移出本群"
removalsPerHour: 20
`

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  return { log, lines, audits: (action: string) => lines.filter((l) => l.audit === true && l.action === action) }
}

let seq = 0
/** A card (or any non-text kind) posted in a room, as the runtime hands it over. */
async function post(h: Harness, room: RoomRef, talker: Member, kind: MessageKind, card: CardDetails): Promise<void> {
  await h.engine.handleMessage({
    room,
    talker,
    message: { id: `card${++seq}`, kind, card, text: '', textWithoutMentions: '', mentionsBot: false, mentionIds: [], date: h.clock.now() },
  })
  await settle(h)
}

/** Let jobs that fell due run and what they said go out. */
async function settle(h: Harness): Promise<void> {
  for (let i = 0; i < 3; i++) await h.flush()
}

async function setup(guard = BASIC, extraSkills = '', opts: Parameters<typeof harness>[1] = {}) {
  const h = await harness(yaml(guard, extraSkills), opts)
  const room = h.room('粉丝1群')
  const room2 = h.room('粉丝2群')
  return { h, room, room2 }
}

describe('guard: what earns a strike', () => {
  it('a URL in a text: a warning in the room, an audit line, a durable strike; plain chat passes', async () => {
    const { log, audits } = capture()
    const { h, room } = await setup(BASIC, '', { log })
    const spam = h.member('Spam')
    await h.say(room, h.member('Ann'), '今天的直播几点开始？版本 1.2.3 好用')
    await h.say(room, spam, '超值好货 点这里 https://spam.example.com/buy')
    await h.say(room, spam, '看 taobao.com 便宜')
    await h.say(room, spam, '加我 abc.top')
    await settle(h)
    expect(h.texts(room.id).join('\n')).toBe(
      ['Spam 本群不允许发链接，再 2 次将被移出（第 1 次）', 'Spam 本群不允许发链接，再 1 次将被移出（第 2 次）', 'Spam 因发链接已被移出本群'].join('\n'),
    )
    expect(audits('guard strike').map((l) => [l.contact, l.rule, l.strike, l.of])).toEqual([
      ['wxid_spam', 'links', 1, 3],
      ['wxid_spam', 'links', 2, 3],
      ['wxid_spam', 'links', 3, 3],
    ])
    expect(h.actions.of('remove')).toEqual([{ at: h.clock.now(), kind: 'remove', id: room.id, contactId: 'wxid_spam' }])
  })

  it.each([
    ['url', { type: 'Url', url: 'https://x.example/a', title: '限时抢购' }, '发链接', 'links'],
    ['miniProgram', { type: 'MiniProgram', title: '拼团小程序', appId: 'wx123' }, '发小程序', 'miniPrograms'],
    ['contact', { type: 'Contact', contactId: 'wxid_agent', contactName: '代理小王' }, '发名片', 'contactCards'],
  ] as const)('a %s card is blocked; with its block off it passes', async (kind, card, ruleText, flag) => {
    const on = await setup()
    await post(on.h, on.room, on.h.member('Spam'), kind, card)
    expect(on.h.texts(on.room.id)).toEqual([`Spam 本群不允许${ruleText}，再 2 次将被移出（第 1 次）`])

    const off = await setup(BASIC.replace('block:', `block:\n  ${flag}: false`))
    await post(off.h, off.room, off.h.member('Spam'), kind, card)
    expect(off.h.sent).toEqual([])
  })

  it('words (any case, also in a card title) and regexes (RE2)', async () => {
    const { h, room } = await setup()
    await h.say(room, h.member('A'), '有需要的加微信')
    await h.say(room, h.member('B'), '加我vx')
    await h.say(room, h.member('C'), '电话 13912345678')
    await post(h, room, h.member('D'), 'url', { type: 'Url', url: 'x', title: '海外代购' })
    await h.say(room, h.member('E'), '我的电话是 12345')
    expect(h.texts(room.id)).toEqual([
      'A 本群不允许发广告，再 2 次将被移出（第 1 次）',
      'B 本群不允许发广告，再 2 次将被移出（第 1 次）',
      'C 本群不允许发违规内容，再 2 次将被移出（第 1 次）',
      'D 本群不允许发链接，再 2 次将被移出（第 1 次）',
    ])
  })

  it('flood: more than 8 messages in 10 s is one strike (not one per message); the same pace spread out is none', async () => {
    const { h, room } = await setup()
    const f = h.member('Flood')
    for (let i = 0; i < 8; i++) await h.say(room, f, `消息 ${i}`)
    expect(h.sent).toEqual([])
    await h.say(room, f, '第九条')
    expect(h.texts(room.id)).toEqual(['Flood 本群不允许刷屏，再 2 次将被移出（第 1 次）'])
    // the window starts again: the next 8 are fine
    for (let i = 0; i < 8; i++) await h.say(room, f, `又一条 ${i}`)
    expect(h.texts(room.id)).toHaveLength(1)

    const calm = h.member('Calm')
    for (let i = 0; i < 20; i++) {
      await h.say(room, calm, `聊天 ${i}`)
      await h.clock.advance(1300)
    }
    expect(h.texts(room.id)).toHaveLength(1)
  })

  it('flood counts cards and images too', async () => {
    const { h, room } = await setup(BASIC.replace('block:', 'block:\n  links: false'))
    const f = h.member('Pics')
    for (let i = 0; i < 9; i++) await post(h, room, f, 'other', { type: 'Image' })
    expect(h.texts(room.id)).toEqual(['Pics 本群不允许刷屏，再 2 次将被移出（第 1 次）'])
  })

  it('repeat: the same text 3 times within 10 min across the group’s rooms; short texts and slower repeats are not', async () => {
    const { h, room, room2 } = await setup()
    const r = h.member('Rep')
    await h.say(room, r, '全场五折 快来看看')
    await h.clock.advance(4 * 60_000)
    await h.say(room2, r, '全场五折   快来看看')
    await h.clock.advance(4 * 60_000)
    await h.say(room2, r, '全场五折 快来看看')
    expect(h.texts(room2.id)).toEqual(['Rep 本群不允许重复发同样的消息，再 2 次将被移出（第 1 次）'])
    // 哈哈 is shorter than minChars (5)
    for (let i = 0; i < 4; i++) await h.say(room, h.member('Fun'), '哈哈')
    // three times, but over more than 10 minutes
    const slow = h.member('Slow')
    for (let i = 0; i < 3; i++) {
      await h.say(room, slow, '有人一起看直播吗')
      await h.clock.advance(6 * 60_000)
    }
    expect(h.texts(room.id)).toEqual([])
  })

  it('repeat: a text another enabled skill takes as a command or trigger is no repeat (兑换 sample, 积分商城, 签到, 预约, #help); the same texts where no skill takes them are', async () => {
    const SKILLS_ON = `
checkin: { triggers: [签到] }
tags: {}
live: { subscribeTriggers: [预约] }
shop:
  items:
    - { id: sample, name: 小样, price: 1000, delivery: admin }`
    const guard = BASIC.replace('repeat: { times: 3, minutes: 10 }', 'repeat: { times: 3, minutes: 10, minChars: 2 }')
    const { h, room, room2 } = await setup(guard, SKILLS_ON)
    const m = h.member('Mei')
    for (const text of ['签到', '兑换 sample', '兑换 小样', '积分商城', '我的标签', '预约', '#help', '兑换 没有的东西']) {
      for (let i = 0; i < 3; i++) {
        await h.say(i === 1 ? room2 : room, m, text)
        await h.clock.advance(60_000)
      }
    }
    const all = [...h.texts(room.id), ...h.texts(room2.id)]
    expect(all.filter((t) => t.includes('不允许'))).toEqual([])
    // each request was answered by its skill: six redemptions asked, each short of points
    expect(all.filter((t) => t.includes('兑换小样需要'))).toHaveLength(6)
    expect(guardHistory(h.store, 'fans', 10)).toEqual([])
    // conversation said three times is still a repeat: "兑换券怎么用" is no shop request
    for (let i = 0; i < 3; i++) await h.say(room, m, '兑换券怎么用')
    expect(h.texts(room.id).at(-1)).toBe('Mei 本群不允许重复发同样的消息，再 2 次将被移出（第 1 次）')

    // in a group where no skill takes them, the same texts are repeats
    const bare = await setup(guard)
    await bare.h.say(bare.room, m, '兑换 sample')
    await bare.h.say(bare.room, m, '兑换 sample')
    await bare.h.say(bare.room, m, '兑换 sample')
    expect(bare.h.texts(bare.room.id)).toEqual(['Mei 本群不允许重复发同样的消息，再 2 次将被移出（第 1 次）'])
  })

  it('a flood of ads from 60 members: every warning goes out within 2 minutes, merged, never above the room limit', async () => {
    const clock = new FakeClock()
    const { h, room } = await setup(BASIC, '', { clock, limits: { roomPerMinute: 20, totalPerMinute: 60 } })
    const start = clock.now()
    for (let i = 0; i < 60; i++) await h.say(room, h.member(`Ad${i}`), `加微信 ${i}`)
    await clock.advance(2 * 60_000)
    await settle(h)
    const said = h.sent.filter((s) => s.to === room.id)
    const all = said.map((s) => s.text).join('\n')
    for (let i = 0; i < 60; i++) expect(all).toContain(`Ad${i} 本群不允许发广告`)
    expect(said.length).toBeLessThan(60) // merged
    expect(said.every((s) => s.at - start <= 2 * 60_000)).toBe(true)
    for (const s of said) expect(said.filter((t) => t.at > s.at - 60_000 && t.at <= s.at).length).toBeLessThanOrEqual(20)
  })

  it('exempt: admins, exempt.ids, exempt.tags; a member without the tag is not', async () => {
    const { h, room } = await setup()
    h.engine.tags.add('wxid_staff', 'staff', { source: 'admin', at: 0 })
    await h.say(room, h.member('Boss'), 'https://brand.example/news')
    await h.say(room, h.member('KOL'), '加微信 看 https://kol.example')
    await h.say(room, h.member('Staff'), '代购 https://staff.example')
    expect(h.sent).toEqual([])
    await h.say(room, h.member('Fan'), 'https://fan.example')
    expect(h.texts(room.id)).toHaveLength(1)
  })

  it('a member who joined by a gate invite is not exempt', async () => {
    const { h, room } = await setup(BASIC, 'gate: { keywords: [进群], capacity: 10 }')
    h.actions.members.set(room.id, ['wxid_bot'])
    await h.dm(h.member('New'), '进群')
    await settle(h)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_new'])
    await h.join(room, [h.member('New')])
    await h.say(room, h.member('New'), '加微信领券')
    expect(h.texts(room.id)).toEqual(['New 本群不允许发广告，再 2 次将被移出（第 1 次）'])
  })
})

describe('guard: strikes, removals, blacklist', () => {
  it('strikes expire after window: two, then 7 days later the count starts again', async () => {
    const { h, room } = await setup()
    const s = h.member('Slowspam')
    await h.say(room, s, '加微信')
    await h.clock.advance(DAY)
    await h.say(room, s, '加微信')
    await h.clock.advance(6 * DAY + 1)
    await h.say(room, s, '加微信') // the first is older than 7d now: this is the 2nd
    expect(h.texts(room.id).map((t) => t.slice(-7))).toEqual(['（第 1 次）', '（第 2 次）', '（第 2 次）'])
    expect(h.actions.of('remove')).toEqual([])
    // the daily sweep drops rows with nothing left in the window
    await h.clock.advance(8 * DAY)
    await settle(h)
    expect(h.store.keys('guard/group:fans/strikes/')).toEqual([])
  })

  it('the 3rd strike removes: no warning, removeText in the room, each admin a private report with evidence and type', async () => {
    const { log, audits } = capture()
    const { h, room } = await setup(BASIC, '', { log })
    const s = h.member('Spam')
    await h.say(room, s, '加微信 1')
    await h.say(room, s, '加微信 2')
    const long = '加微信' + '很长的广告'.repeat(80)
    await h.say(room, s, long)
    await settle(h)
    expect(h.actions.of('remove').map((c) => [c.id, c.contactId])).toEqual([[room.id, 'wxid_spam']])
    expect(h.texts(room.id).at(-1)).toBe('Spam 因发广告已被移出本群')
    expect(h.texts(room.id)).toHaveLength(3)
    for (const admin of ['wxid_boss', 'wxid_boss2']) {
      const [report] = h.texts(admin)
      expect(report).toContain('已把 Spam（wxid_spam）移出「粉丝1群」')
      expect(report).toContain('原因：发广告（7天内第 3 次违规）')
      expect(report).toContain(`证据（Text）：${[...long].slice(0, 200).join('')}`)
      expect(report).not.toContain([...long].slice(0, 201).join(''))
    }
    expect(audits('guard removal')).toHaveLength(1)
    // they are swallowed meanwhile; after the removal, a message by them (a stale event) is the blacklist's
    expect(guardBlacklist(h.store, 'fans').map((b) => b.contactId)).toEqual(['wxid_spam'])
  })

  it('removalsPerHour: the 3rd removal of the hour waits for its slot (kept), never more in any hour', async () => {
    const { h, room } = await setup(BASIC.replace('removalsPerHour: 20', 'removalsPerHour: 2').replace('strikes: 3', 'strikes: 1'))
    const start = h.clock.now()
    for (const n of ['A', 'B', 'C', 'D', 'E']) await h.say(room, h.member(n), '加微信')
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a', 'wxid_b'])
    await h.clock.advance(HOUR - 1)
    await settle(h)
    expect(h.actions.of('remove')).toHaveLength(2)
    await h.clock.advance(1)
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a', 'wxid_b', 'wxid_c', 'wxid_d'])
    await h.clock.advance(HOUR)
    await settle(h)
    const at = h.actions.of('remove').map((c) => c.at - start)
    expect(at).toEqual([0, 0, HOUR, HOUR, 2 * HOUR])
    for (const t of at) expect(at.filter((u) => u > t - HOUR && u <= t).length).toBeLessThanOrEqual(2)
  })

  it('removalsPerHour holds for removals as they reach WeChat, also when the governor’s pacing pushes them together', async () => {
    const clock = new FakeClock()
    const { h, room } = await setup(BASIC.replace('removalsPerHour: 20', 'removalsPerHour: 10').replace('strikes: 3', 'strikes: 1'), '', {
      clock,
      limits: { roomPerMinute: 20, totalPerMinute: 60 },
    })
    const start = clock.now()
    for (let i = 0; i < 35; i++) {
      await h.say(room, h.member(`S${i}`), '加微信')
      await clock.advance(2000)
    }
    for (let m = 0; m < 4 * 60; m++) await clock.advance(60_000)
    const at = h.actions.of('remove').map((c) => c.at)
    expect(at).toHaveLength(35)
    for (const t of at) expect(at.filter((u) => u > t - HOUR && u <= t).length).toBeLessThanOrEqual(10)
    for (const t of at) expect(at.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(6) // the governor
    expect(at.filter((t) => t < start + HOUR)).toHaveLength(10)
  })

  it('blacklist: a removed member who joins any room of the group is removed again; without blacklist, not', async () => {
    const { h, room, room2 } = await setup(BASIC.replace('strikes: 3', 'strikes: 1'))
    const s = h.member('Spam')
    await h.say(room, s, '加微信')
    await settle(h)
    await h.leave(room, [s])
    await h.join(room2, [s])
    await settle(h)
    expect(h.actions.of('remove').map((c) => [c.id, c.contactId])).toEqual([
      [room.id, 'wxid_spam'],
      [room2.id, 'wxid_spam'],
    ])
    expect(h.texts('wxid_boss').at(-1)).toContain('原因：被移出后再次进群')
    // speaking in a room of the group they are still in: removed there too, message swallowed
    const room3 = h.room('粉丝3群')
    await h.say(room3, s, '大家好')
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.id)).toEqual([room.id, room2.id, room3.id])

    const off = await setup(BASIC.replace('strikes: 3', 'strikes: 1\nblacklist: false'))
    await off.h.say(off.room, s, '加微信')
    await off.h.join(off.room2, [s])
    await settle(off.h)
    expect(off.h.actions.of('remove')).toHaveLength(1)
  })

  it('blacklist on rejoin respects exemptions made since: a new admin, an exempt id, an exempt tag come back and stay', async () => {
    const { h, room, room2 } = await setup(BASIC.replace('strikes: 3', 'strikes: 1'))
    const nowAdmin = h.member('Ada')
    const nowExemptId = h.member('Ida')
    const nowStaff = h.member('Tad')
    const stillBanned = h.member('Ban')
    for (const m of [nowAdmin, nowExemptId, nowStaff, stillBanned]) await h.say(room, m, '加微信')
    await settle(h)
    expect(guardBlacklist(h.store, 'fans').map((b) => b.contactId).sort()).toEqual(['wxid_ada', 'wxid_ban', 'wxid_ida', 'wxid_tad'])
    expect(h.actions.of('remove')).toHaveLength(4)

    // since then: Ada is an admin and Ida an exempt id (a #reload), Tad has the exempt tag
    h.setReloadYaml(
      yaml(BASIC.replace('strikes: 3', 'strikes: 1').replace('ids: [wxid_kol]', 'ids: [wxid_kol, wxid_ida]')).replace(
        'admins: [wxid_boss, wxid_boss2]',
        'admins: [wxid_boss, wxid_boss2, wxid_ada]',
      ),
    )
    await h.say(room, h.member('Boss'), '#reload')
    expect(h.texts(room.id).at(-1)).toContain('配置已重新加载')
    h.engine.tags.add('wxid_tad', 'staff', { source: 'admin', at: h.clock.now() })

    for (const m of [nowAdmin, nowExemptId, nowStaff, stillBanned]) await h.join(room2, [m])
    await settle(h)
    // only the one still without an exemption is removed again
    expect(h.actions.of('remove').slice(4).map((c) => [c.id, c.contactId])).toEqual([[room2.id, 'wxid_ban']])
  })

  it('gate does not invite a blacklisted member back (barredReply, no reason given); pardoned, they are invited; blacklist: false, always', async () => {
    const GATE = 'gate: { keywords: [进粉丝群], capacity: 100, inviteReply: "{name}，已邀请你加入{topic}" }'
    const { log, audits } = capture()
    const { h, room, room2 } = await setup(BASIC.replace('strikes: 3', 'strikes: 1'), GATE, { log })
    h.actions.members.set(room.id, ['wxid_bot'])
    h.actions.members.set(room2.id, ['wxid_bot'])
    const s = h.member('Spam')
    await h.say(room, s, '加微信')
    await settle(h)
    expect(h.actions.of('remove')).toHaveLength(1)
    // the removed spammer asks to join again: refused, no invite, the reply names no reason
    await h.dm(s, '进粉丝群')
    await settle(h)
    expect(h.texts('wxid_spam')).toEqual(['Spam，暂时不能邀请你进群'])
    expect(h.actions.of('add')).toEqual([])
    expect(audits('invite refused').map((l) => [l.contact, l.by])).toEqual([['wxid_spam', 'guard']])
    // someone else is invited as usual
    await h.dm(h.member('Fan'), '进粉丝群')
    await settle(h)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_fan'])
    // pardoned: they may come back
    await h.say(room, h.member('Boss'), '#guard pardon wxid_spam')
    await h.dm(s, '进粉丝群')
    await settle(h)
    expect(h.texts('wxid_spam').at(-1)).toMatch(/^Spam，已邀请你加入粉丝\d群$/)
    expect(h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_fan', 'wxid_spam'])

    // an invite waiting for its slot is dropped when the contact is removed meanwhile
    const slow = await setup(BASIC.replace('strikes: 3', 'strikes: 1'), GATE.replace('capacity: 100', 'capacity: 100, invitesPerHour: 1'))
    slow.h.actions.members.set(slow.room.id, ['wxid_bot'])
    await slow.h.dm(slow.h.member('Fan'), '进粉丝群')
    await slow.h.dm(s, '进粉丝群') // Spam's invite waits an hour
    await slow.h.say(slow.room2, s, '加微信') // removed from the other room meanwhile
    await slow.h.clock.advance(HOUR)
    await settle(slow.h)
    expect(slow.h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_fan'])

    // without a blacklist a removed member may come back, also by gate
    const off = await setup(BASIC.replace('strikes: 3', 'strikes: 1\nblacklist: false'), GATE)
    off.h.actions.members.set(off.room.id, ['wxid_bot'])
    await off.h.say(off.room, s, '加微信')
    await settle(off.h)
    await off.h.dm(s, '进粉丝群')
    await settle(off.h)
    expect(off.h.actions.of('add').map((c) => c.contactId)).toEqual(['wxid_spam'])
  })

  it('removal fails (the bot is no room admin): each admin a private report instead, no retry, no crash', async () => {
    const { log, audits } = capture()
    const { h, room } = await setup(BASIC.replace('strikes: 3', 'strikes: 1'), '', { log })
    h.actions.failRemoves = 1
    await h.say(room, h.member('Spam'), '加微信')
    await settle(h)
    await h.clock.advance(DAY)
    await settle(h)
    expect(h.actions.of('remove')).toEqual([])
    expect(h.texts(room.id)).toEqual([]) // no "已被移出" when it did not happen
    for (const admin of ['wxid_boss', 'wxid_boss2']) {
      expect(h.texts(admin)).toHaveLength(1)
      expect(h.texts(admin)[0]).toContain('【防骚扰】未能把 Spam（wxid_spam）移出「粉丝1群」（分组 fans）：roomDel refused')
      expect(h.texts(admin)[0]).toContain('请手动移出')
      expect(h.texts(admin)[0]).toContain('证据（Text）：加微信')
    }
    expect(audits('guard removal failed')).toHaveLength(1)
    expect(guardHistory(h.store, 'fans').map((r) => r.action)).toEqual(['removal failed', 'strike'])
    // the bot goes on: others are still guarded and answered
    await h.say(room, h.member('Two'), '加微信')
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_two'])
  })

  it('a member who leaves before the removal’s turn is not removed', async () => {
    const { h, room } = await setup(BASIC.replace('strikes: 3', 'strikes: 1').replace('removalsPerHour: 20', 'removalsPerHour: 1'))
    await h.say(room, h.member('A'), '加微信')
    await h.say(room, h.member('B'), '加微信')
    await h.leave(room, [h.member('B')])
    await h.clock.advance(HOUR)
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a'])
  })

  it('strikes, the blacklist and waiting removals survive a restart', async () => {
    const adapter = new MemoryAdapter()
    const clock = new FakeClock()
    const guard = BASIC.replace('removalsPerHour: 20', 'removalsPerHour: 1')
    const first = await setup(guard, '', { adapter, clock })
    await first.h.say(first.room, first.h.member('A'), '加微信')
    await first.h.say(first.room, first.h.member('A'), '加微信')
    await first.h.say(first.room, first.h.member('A'), '加微信') // removed now
    for (let i = 0; i < 3; i++) await first.h.say(first.room, first.h.member('B'), '加微信') // waits an hour
    await settle(first.h)
    expect(first.h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a'])
    await first.h.say(first.room, first.h.member('C'), '加微信')
    await first.h.store.durable()
    first.h.engine.stop()

    const again = await setup(guard, '', { adapter, clock })
    await again.h.say(again.room, again.h.member('C'), '加微信')
    expect(again.h.texts(again.room.id)).toEqual(['C 本群不允许发广告，再 1 次将被移出（第 2 次）'])
    await clock.advance(HOUR)
    await settle(again.h)
    expect(again.h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_b'])
    await again.h.join(again.room2, [again.h.member('A')])
    await settle(again.h)
    await clock.advance(HOUR)
    await settle(again.h)
    expect(again.h.actions.of('remove').map((c) => [c.contactId, c.id])).toEqual([
      ['wxid_b', again.room.id],
      ['wxid_a', again.room2.id],
    ])
  })
})

describe('guard: a stop in the middle of a removal', () => {
  it('a removal the bot stopped during is tried again at the next start', async () => {
    const adapter = new MemoryAdapter()
    const clock = new FakeClock()
    const guard = BASIC.replace('strikes: 3', 'strikes: 1')
    const first = await setup(guard, '', { adapter, clock })
    first.h.actions.removeFromRoom = () => new Promise(() => {}) // WeChat never answers: the bot is stopped meanwhile
    await first.h.say(first.room, first.h.member('A'), '加微信')
    await settle(first.h)
    await first.h.store.durable()
    first.h.engine.stop()

    const again = await setup(guard, '', { adapter, clock })
    await settle(again.h)
    expect(again.h.actions.of('remove').map((c) => [c.contactId, c.id])).toEqual([['wxid_a', again.room.id]])
    expect(again.h.texts('wxid_boss')[0]).toContain('已把 A（wxid_a）移出')
  })
})

describe('guard: admin commands, and guard first', () => {
  it('#guard pardon @member clears strikes and the blacklist; they may come back', async () => {
    const { log, audits } = capture()
    const { h, room, room2 } = await setup(BASIC.replace('strikes: 3', 'strikes: 2'), '', { log })
    const s = h.member('Spam')
    await h.say(room, s, '加微信')
    await h.say(room, s, '加微信')
    await settle(h)
    expect(h.actions.of('remove')).toHaveLength(1)
    await h.say(room, h.member('Boss'), '#guard pardon @Spam', { mentionIds: ['wxid_spam'] })
    expect(h.texts(room.id).at(-1)).toBe('已赦免 Spam（wxid_spam）：移出黑名单')
    expect(audits('guard pardon').map((l) => [l.contact, l.admin])).toEqual([['wxid_spam', 'wxid_boss']])
    await h.join(room2, [s])
    await settle(h)
    expect(h.actions.of('remove')).toHaveLength(1)
    // strikes start from zero
    await h.say(room2, s, '加微信')
    expect(h.texts(room2.id)).toEqual(['Spam 本群不允许发广告，再 1 次将被移出（第 1 次）'])
    // by contact id; and someone with nothing to pardon
    await h.say(room, h.member('Boss'), '#guard pardon wxid_spam wxid_nobody')
    expect(h.texts(room.id).at(-1)).toBe('已赦免 Spam（wxid_spam）：清除 1 次违规\nwxid_nobody（wxid_nobody） 在本组没有违规记录，也不在黑名单里')
  })

  it('a pardon before the removal’s turn cancels it (the plain function the console uses)', async () => {
    const { h, room } = await setup(BASIC.replace('strikes: 3', 'strikes: 1').replace('removalsPerHour: 20', 'removalsPerHour: 1'))
    await h.say(room, h.member('A'), '加微信')
    await h.say(room, h.member('B'), '加微信')
    const r = pardon(h.store, 'fans', 'wxid_b', 'console', h.clock.now())
    expect(r).toEqual({ contactId: 'wxid_b', name: 'B', strikes: 0, unbanned: true, removalsCancelled: 1, changed: true })
    await h.clock.advance(HOUR)
    await settle(h)
    expect(h.actions.of('remove').map((c) => c.contactId)).toEqual(['wxid_a'])
    expect(guardHistory(h.store, 'fans', 1)[0]).toMatchObject({ action: 'pardon', contactId: 'wxid_b', by: 'console' })
  })

  it('#guard list: the last 20 records of this group, newest first; members’ #guard does nothing', async () => {
    const { h, room } = await setup(BASIC.replace('strikes: 3', 'strikes: 100'))
    for (let i = 0; i < 25; i++) await h.say(room, h.member(`M${i}`), '加微信')
    const before = h.sent.length
    await h.say(room, h.member('Spam'), '#guard list')
    expect(h.sent.length).toBe(before) // a member’s #guard is no ad, and no command for them: nothing
    await h.say(room, h.member('Boss'), '#guard list')
    const list = h.texts(room.id).at(-1)!
    expect(list.split('\n')[0]).toBe('防骚扰记录（最近 20 条，新的在前）：')
    expect(list.split('\n')).toHaveLength(21)
    expect(list.split('\n')[1]).toMatch(/警告 M24（wxid_m24） 发广告 1\/100 · 粉丝1群$/)
    expect(list).not.toContain('M4（')
  })

  it('guard runs first: an ad with an autoreply keyword gets only the warning; a check-in with a link is no check-in', async () => {
    const { h, room } = await setup(BASIC, 'checkin: { triggers: [签到] }\nautoreply: { rules: [{ keywords: [发货], reply: "{name}，48 小时内发货" }] }')
    await h.say(room, h.member('Spam'), '发货快 加微信')
    expect(h.texts(room.id)).toEqual(['Spam 本群不允许发广告，再 2 次将被移出（第 1 次）'])
    await h.say(room, h.member('Ann'), '什么时候发货')
    expect(h.texts(room.id).at(-1)).toBe('Ann，48 小时内发货')
    // a member's #command with an ad in it is struck, not swallowed as a command
    await h.say(room, h.member('Sneaky'), '#stats https://spam.example')
    expect(h.texts(room.id).at(-1)).toBe('Sneaky 本群不允许发链接，再 2 次将被移出（第 1 次）')
  })

  it('a bad regex is a config error at file:line:col; the schema refuses unknown keys', async () => {
    const { configErrors } = await import('../../helpers/configErrors.js')
    const { SKILLS } = await import('../../../skills/index.js')
    const errors = configErrors(yaml(BASIC.replace('["1[3-9]\\\\d{9}"]', '["ok", "(a)\\\\1"]')), SKILLS)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^bot\.yaml:12:\d+: .*invalid regular expression/)
    expect(configErrors(yaml(BASIC + 'strike: 3'), SKILLS)[0]).toMatch(/^bot\.yaml:\d+:\d+: .*strike/)
  })
})
