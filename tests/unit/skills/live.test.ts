import { DateTime } from 'luxon'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { LiveSkill } from '../../../skills/live/index.js'
import { FakeClock, settle } from '../../../src/clock/FakeClock.js'
import { MENTION_END } from '../../../src/text/Outgoing.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import type { Change } from '../../../src/store/StorageAdapter.js'
import { harness, type Harness } from '../../helpers/harness.js'
import { SpyAdapter } from '../../helpers/spyAdapter.js'

/** An instant in Asia/Shanghai, the bot's zone in these tests. */
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

/** A config with one group (two rooms match it) and the given `live:` body (indented 8). */
const config = (live: string, bot = '') => `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss]${bot} }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
${live}
`

const D11 = `        lives:
          - id: d11
            title: 双11返场直播
            start: "2026-11-25 20:00"
            link: https://example.invalid/live
            preview: |
              1. 黑玫瑰精华
              2. 全能乳液
        remind: [1h, 10m]
`

async function setup(live = D11, start = '2026-11-25 10:00:00', bot = '') {
  const clock = new FakeClock(sh(start))
  const lines: Array<Record<string, unknown>> = []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  const h = await harness(config(live, bot), { skills: [LiveSkill], clock, log })
  return { h, clock, lines, room1: h.room('希思黎1群'), room2: h.room('希思黎2群') }
}

/** Move to a local time and let everything due by then be sent. */
async function at(h: Harness, local: string): Promise<void> {
  await h.clock.advanceTo(sh(local))
  await h.flush()
}

const reminders = (h: Harness, roomId: string) => h.texts(roomId).filter((t) => t.startsWith('【直播预告】'))
const starts = (h: Harness, roomId: string) => h.sent.filter((s) => s.to === roomId && s.text.startsWith('【开播啦】'))

describe('live: reminders and the start message', () => {
  it('sends each reminder at its offset and the start message at the start, in every room of the group', async () => {
    const { h, room1, room2 } = await setup()
    // planned from the config as durable jobs, one per slot of the live
    expect(h.store.keys('core/jobs/live/sisley/')).toEqual([
      'core/jobs/live/sisley/c:d11|remind-10m',
      'core/jobs/live/sisley/c:d11|remind-1h',
      'core/jobs/live/sisley/c:d11|start',
    ])
    await at(h, '2026-11-25 18:59:59')
    expect(h.sent).toEqual([])

    await at(h, '2026-11-25 19:00:00')
    const hour = '【直播预告】双11返场直播 1小时后开播（11月25日 20:00）\n1. 黑玫瑰精华\n2. 全能乳液\nhttps://example.invalid/live'
    expect(h.texts(room1.id)).toEqual([hour])
    expect(h.texts(room2.id)).toEqual([hour])
    expect(h.sent.map((s) => s.at)).toEqual([sh('2026-11-25 19:00:00'), sh('2026-11-25 19:00:00')])

    await at(h, '2026-11-25 19:50:00')
    expect(reminders(h, room1.id)[1]).toBe('【直播预告】双11返场直播 10分钟后开播（11月25日 20:00）\n1. 黑玫瑰精华\n2. 全能乳液\nhttps://example.invalid/live')

    await at(h, '2026-11-25 20:00:00')
    expect(h.texts(room1.id)[2]).toBe('【开播啦】双11返场直播 https://example.invalid/live')
    expect(h.sent.filter((s) => s.at === sh('2026-11-25 20:00:00'))).toHaveLength(2)
  })

  it('@s the subscribers of each room at the start, 20 mentions per message', async () => {
    const { h, room1, room2 } = await setup()
    const fans = Array.from({ length: 45 }, (_, i) => h.member(`Fan${i + 1}`))
    for (const f of fans) await h.say(room1, f, '预约')
    await h.say(room2, h.member('Zoe'), '预约')
    h.sent.length = 0

    await at(h, '2026-11-25 20:00:00')
    const inRoom1 = starts(h, room1.id).concat(h.sent.filter((s) => s.to === room1.id && s.text.startsWith('@')))
    expect(inRoom1.map((s) => s.mentionIds.length)).toEqual([20, 20, 5])
    expect(inRoom1.flatMap((s) => s.mentionIds)).toEqual(fans.map((f) => f.id))
    expect(inRoom1[0]!.text).toBe(`【开播啦】双11返场直播 https://example.invalid/live ${fans.slice(0, 20).map((f) => `@${f.name}${MENTION_END}`).join('')}`)
    expect(inRoom1[2]!.text).toBe(fans.slice(40).map((f) => `@${f.name}${MENTION_END}`).join(''))
    // room 2's subscriber is @-ed in room 2 only
    expect(starts(h, room2.id).map((s) => s.mentionIds)).toEqual([['wxid_zoe']])
    expect([...inRoom1, ...starts(h, room2.id)].every((s) => s.at === sh('2026-11-25 20:00:00'))).toBe(true)
  })

  it('sends nothing twice: long after the start, and after reloads', async () => {
    const { h, room1, room2 } = await setup()
    await h.say(room1, h.member('Alice'), '预约')
    await at(h, '2026-11-25 19:30:00')
    await h.say(room1, h.member('Boss', 'wxid_boss'), '#reload')
    await at(h, '2026-11-26 12:00:00')
    await h.say(room1, h.member('Boss', 'wxid_boss'), '#reload')
    await at(h, '2026-12-03 12:00:00')
    for (const room of [room1, room2]) {
      expect(reminders(h, room.id)).toHaveLength(2)
      expect(starts(h, room.id)).toHaveLength(1)
    }
    expect(starts(h, room1.id)[0]!.mentionIds).toEqual(['wxid_alice'])
  })

  it('a reload that moves the start re-plans the unsent reminders; the sent one stays sent', async () => {
    const { h, room1 } = await setup()
    await at(h, '2026-11-25 19:30:00') // the 1h reminder went out at 19:00
    h.setReloadYaml(config(D11.replace('2026-11-25 20:00', '2026-11-25 21:00')))
    await h.say(room1, h.member('Boss', 'wxid_boss'), '#reload')
    expect(h.texts(room1.id).pop()).toMatch(/^配置已重新加载/)
    await at(h, '2026-11-25 22:00:00')
    const sent = h.sent.filter((s) => s.to === room1.id && s.text.startsWith('【'))
    expect(sent.map((s) => [DateTime.fromMillis(s.at, { zone: 'Asia/Shanghai' }).toFormat('HH:mm'), s.text.split('\n')[0]])).toEqual([
      ['19:00', '【直播预告】双11返场直播 1小时后开播（11月25日 20:00）'],
      ['20:50', '【直播预告】双11返场直播 10分钟后开播（11月25日 21:00）'],
      ['21:00', '【开播啦】双11返场直播 https://example.invalid/live'],
    ])
  })

  it('a live that took place and gets a new start in the config is a new live: reminders again, fresh subscribers', async () => {
    const { h, room1 } = await setup(D11.replace('remind: [1h, 10m]', 'remind: [10m]'))
    await h.say(room1, h.member('Alice'), '预约')
    await at(h, '2026-11-25 21:00:00')
    h.setReloadYaml(config(D11.replace('remind: [1h, 10m]', 'remind: [10m]').replace('2026-11-25 20:00', '2026-12-02 20:00')))
    await h.say(room1, h.member('Boss', 'wxid_boss'), '#reload')
    await h.say(room1, h.member('Bob'), '预约')
    await at(h, '2026-12-02 21:00:00')
    expect(reminders(h, room1.id)).toHaveLength(2)
    expect(starts(h, room1.id).map((s) => s.mentionIds)).toEqual([['wxid_alice'], ['wxid_bob']])
  })

  it('{in} is counted when the reminder is queued, in Chinese', async () => {
    const { h, room1 } = await setup(`        lives: [{ id: x, title: 周年庆, start: "2026-11-27 20:00" }]
        remind: [1d, 90m]
        remindText: "{title}：还有{in}（{start}）{link}"
`)
    await at(h, '2026-11-26 20:00:00')
    await at(h, '2026-11-27 18:30:00')
    expect(h.texts(room1.id)).toEqual(['周年庆：还有1天（11月27日 20:00）', '周年庆：还有1小时30分钟（11月27日 20:00）'])
  })
})

describe('live: quiet hours', () => {
  const quiet = ', quietHours: "23:00-08:00"'

  it('hold a reminder until the window ends, and the start message is not held', async () => {
    const { h, room1, lines } = await setup(`        lives: [{ id: m, title: 早场, start: "2026-11-26 08:30" }]
        remind: [1h, 10m]
`, '2026-11-25 22:00:00', quiet)
    await at(h, '2026-11-26 07:59:59')
    expect(h.sent).toEqual([])
    expect(lines.some((l) => l.msg === 'reminder held by quiet hours')).toBe(true)
    await at(h, '2026-11-26 09:00:00')
    expect(h.sent.filter((s) => s.to === room1.id).map((s) => [DateTime.fromMillis(s.at, { zone: 'Asia/Shanghai' }).toFormat('HH:mm'), s.text])).toEqual([
      ['08:00', '【直播预告】早场 30分钟后开播（11月26日 08:30）'],
      ['08:20', '【直播预告】早场 10分钟后开播（11月26日 08:30）'],
      ['08:30', '【开播啦】早场'],
    ])
  })

  it('when several reminders were held, only the latest is sent at the window end', async () => {
    const { h, room1 } = await setup(`        lives: [{ id: m, title: 早场, start: "2026-11-26 08:05" }]
        remind: [1h, 10m]
`, '2026-11-25 22:00:00', quiet)
    await at(h, '2026-11-26 09:00:00')
    expect(h.texts(room1.id)).toEqual(['【直播预告】早场 5分钟后开播（11月26日 08:05）', '【开播啦】早场'])
  })

  it('a held reminder whose live starts before the window ends is skipped; the start message goes out in the window', async () => {
    const { h, room1, lines } = await setup(`        lives: [{ id: n, title: 深夜场, start: "2026-11-26 00:30" }]
        remind: [1h, 10m]
`, '2026-11-25 20:00:00', quiet)
    await at(h, '2026-11-26 09:00:00')
    expect(h.sent.filter((s) => s.to === room1.id).map((s) => [s.at, s.text])).toEqual([[sh('2026-11-26 00:30:00'), '【开播啦】深夜场']])
    // one line per reminder (1h at 23:30, 10m at 00:20), for the whole group
    expect(lines.filter((l) => l.msg === 'quiet hours last until the live starts; its reminder is not sent')).toHaveLength(2)
  })
})

describe('live: subscribing', () => {
  it('subscribing twice is once; the subscription is on disk before the reply is sent', async () => {
    const clock = new FakeClock(sh('2026-11-25 10:00:00'))
    const adapter = new SpyAdapter()
    const h = await harness(config(D11), { skills: [LiveSkill], clock, adapter })
    const room = h.room('希思黎1群')
    const subscription = (c: Change) => c.key.includes('/subs/') && c.key.endsWith('/wxid_alice')
    // a slow disk: the subscription's commit is held
    adapter.hold()
    await h.engine.handleMessage({
      room,
      talker: h.member('Alice'),
      message: { id: 'm1', text: '预约', textWithoutMentions: '预约', mentionsBot: false, mentionIds: [], date: clock.now() },
    })
    expect((await adapter.commitWith(subscription)).find(subscription)?.value).toBeDefined()
    await clock.advance(30_000)
    await settle(20)
    expect(adapter.held).toBe(1)
    expect(h.sent).toEqual([]) // not confirmed while it is not on disk
    adapter.release()
    await h.flush()
    expect(h.texts(room.id)).toEqual(['Alice 预约成功：「双11返场直播」11月25日 20:00 开播，开播时 @ 你'])

    await h.say(room, h.member('Alice'), '预约')
    expect(h.texts(room.id).at(-1)).toBe('Alice 已经预约过「双11返场直播」啦，开播时 @ 你')
    expect(adapter.commits.filter((batch) => batch.some(subscription))).toHaveLength(1)
    await at(h, '2026-11-25 20:00:00')
    expect(h.sent.filter((s) => s.text.startsWith('【开播啦】')).map((s) => s.mentionIds)).toEqual([['wxid_alice']])
  })

  it('a scheduled text is recorded as "sending" on disk before it goes to the puppet, then "sent"', async () => {
    const clock = new FakeClock(sh('2026-11-25 18:00:00'))
    const events: string[] = []
    class SpyAdapter extends MemoryAdapter {
      override commit(changes: readonly Change[]): Promise<void> {
        for (const c of changes) {
          if (c.key.includes('/sends/')) events.push(`stored ${(c.value as { parts: string[] }).parts.join(',')}`)
        }
        return super.commit(changes)
      }
    }
    const h = await harness(config(D11), { skills: [LiveSkill], clock, adapter: new SpyAdapter() })
    const push = h.sent.push.bind(h.sent)
    h.sent.push = (...items) => (items.forEach((s) => events.push(`sent ${s.text.split('\n')[0]}`)), push(...items))
    h.room('希思黎1群')
    await at(h, '2026-11-25 19:00:00')
    await h.store.durable()
    expect(events).toEqual(['stored queued', 'stored sending', 'sent 【直播预告】双11返场直播 1小时后开播（11月25日 20:00）', 'stored sent'])
  })

  it('subscribes to the next upcoming live; says so when there is none', async () => {
    const { h, room1 } = await setup(`        lives:
          - { id: later, title: 晚场, start: "2026-11-26 20:00" }
          - { id: sooner, title: 早场, start: "2026-11-25 20:00" }
`)
    await h.say(room1, h.member('Alice'), '预约')
    expect(h.texts(room1.id).pop()).toContain('「早场」')
    await at(h, '2026-11-25 20:00:01')
    await h.say(room1, h.member('Alice'), '预约')
    expect(h.texts(room1.id).pop()).toContain('「晚场」')
    await at(h, '2026-11-27 00:00:00')
    await h.say(room1, h.member('Alice'), '预约')
    expect(h.texts(room1.id).pop()).toBe('暂时没有直播预告，敬请期待～')
  })

  it('members list the upcoming lives with their ids, soonest first', async () => {
    const { h, room1 } = await setup(`        lives:
          - { id: later, title: 晚场, start: "2026-11-26 20:00" }
          - { id: past, title: 昨天, start: "2026-11-24 20:00" }
          - { id: sooner, title: 早场, start: "2026-11-25 20:00" }
`)
    await h.say(room1, h.member('Alice'), '直播预告')
    expect(h.texts(room1.id)).toEqual(['直播预告\n11月25日 20:00 早场（编号 sooner）\n11月26日 20:00 晚场（编号 later）'])
  })
})
