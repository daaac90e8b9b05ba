import { DateTime } from 'luxon'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import type { PostDelivery } from '../../../skills/posts/PostDeliveries.js'
import { SKILLS } from '../../../skills/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { deliveryStatus } from '../../../src/engine/Deliveries.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness, type Harness, type HarnessOptions } from '../../helpers/harness.js'

/** Posts on the fake clock (CONTRACT §10), with the real engine, store and send queue. */
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: 'Asia/Shanghai' }).toMillis()

const config = (posts: string, bot = '') => `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss]${bot} }
media:
  rules: { image: media/群规.png }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      posts:
${posts}
  - name: other
    match: { topic: "别的*" }
    skills: { checkin: {} }
`

async function boot(yaml: string, start: string, o: HarnessOptions & { lines?: Array<Record<string, unknown>> } = {}) {
  const lines = o.lines ?? []
  const log = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as Record<string, unknown>) })
  const h = await harness(yaml, { clock: new FakeClock(sh(start)), log, ...o })
  const rooms = [h.room('粉丝1群', 'r1@chatroom'), h.room('粉丝2群', 'r2@chatroom'), h.room('别的群', 'x@chatroom')]
  return { h, rooms, lines }
}

const postsIn = (h: Harness, room: string) => h.sent.filter((s) => s.to === room)
const deliveries = (h: Harness) => h.store.keys('posts/group:fans/sends/').map((k) => h.store.get(k) as unknown as PostDelivery)

describe('posts: on schedule', () => {
  it('a daily post goes to every room of the group once per day, its texts and media in order; not to other groups', async () => {
    const { h } = await boot(
      config(`        - id: morning
          when: "每天 09:00"
          send: ["早上好！今天记得签到哦～", { media: rules }]`),
      '2026-11-26 08:00',
    )
    await h.clock.advanceTo(sh('2026-11-26 09:00'))
    await h.flush()
    for (const r of ['r1@chatroom', 'r2@chatroom']) expect(postsIn(h, r).map((s) => [s.at, s.text])).toEqual([[sh('2026-11-26 09:00'), '早上好！今天记得签到哦～'], [sh('2026-11-26 09:00'), '[media rules]']])
    expect(postsIn(h, 'x@chatroom')).toEqual([])
    // a reload in between changes nothing; the next day once more
    await h.engine.setConfig(h.config)
    await h.clock.advanceTo(sh('2026-11-27 12:00'))
    await h.flush()
    expect(postsIn(h, 'r1@chatroom').filter((s) => s.text.startsWith('早上好'))).toHaveLength(2)
    expect(deliveries(h).map((d) => [d.occ, d.room, deliveryStatus(d).status])).toEqual([
      ['2026-11-26 09:00', 'r1@chatroom', 'sent'],
      ['2026-11-26 09:00', 'r2@chatroom', 'sent'],
      ['2026-11-27 09:00', 'r1@chatroom', 'sent'],
      ['2026-11-27 09:00', 'r2@chatroom', 'sent'],
    ])
  })

  it('skip dates are not sent on; a one-off date goes once', async () => {
    const { h } = await boot(
      config(`        - id: morning
          when: "每天 09:00"
          send: 早上好
          skip: ["2026-11-27"]
        - id: sale
          when: "2026-11-27 20:00"
          send: 双12预热开始`),
      '2026-11-26 08:00',
    )
    await h.clock.advanceTo(sh('2026-11-29 00:00'))
    await h.flush()
    expect(postsIn(h, 'r1@chatroom').map((s) => `${DateTime.fromMillis(s.at, { zone: 'Asia/Shanghai' }).toFormat('MM-dd HH:mm')} ${s.text}`)).toEqual([
      '11-26 09:00 早上好',
      '11-27 20:00 双12预热开始',
      '11-28 09:00 早上好',
    ])
  })

  it('quiet hours: a post waits for their end; one whose next time comes first is skipped with a line in the log', async () => {
    const { h, lines } = await boot(
      config(
        `        - id: late
          when: "每天 23:30"
          send: 晚安
        - id: often
          when: "*/20 * * * *"
          send: 整点提醒`,
        ', quietHours: "23:00-08:00"',
      ),
      '2026-11-26 22:00',
    )
    await h.clock.advanceTo(sh('2026-11-27 08:05'))
    await h.flush()
    const r1 = postsIn(h, 'r1@chatroom')
    expect(r1.filter((s) => s.text === '晚安').map((s) => s.at)).toEqual([sh('2026-11-27 08:00')])
    // 22:00, 22:20, 22:40 before; inside the window (23:00 to 07:40: 27) each is skipped, the next coming before its end; 08:00 is sent
    expect(r1.filter((s) => s.text === '整点提醒').map((s) => DateTime.fromMillis(s.at, { zone: 'Asia/Shanghai' }).toFormat('HH:mm'))).toEqual(['22:00', '22:20', '22:40', '08:00'])
    expect(lines.filter((l) => l.msg === 'quiet hours last until the post’s next time; skipped' && l.post === 'often')).toHaveLength(27)
    const skipped = deliveries(h).filter((d) => d.post === 'often' && deliveryStatus(d).status === 'skipped')
    expect(skipped).toHaveLength(27 * 2)
    expect(deliveryStatus(skipped[0]!).reason).toMatch(/quiet hours \(23:00-08:00\) last until its next time/)
  })
})

describe('posts: after joined', () => {
  it('@s the members who joined N days ago and are still in the room, one post per room; {count} and {points}', async () => {
    const { h, rooms } = await boot(
      config(`        - id: day3
          after: { joined: 3d, at: "20:00" }
          send: ["{names} 进群第 3 天啦（{count} 人），{points} 分以上可以去积分商城看看～"]`),
      '2026-11-23 10:00',
    )
    const [r1, r2] = rooms as [ReturnType<Harness['room']>, ReturnType<Harness['room']>]
    const [a, b, c, d] = [h.member('小红'), h.member('小明'), h.member('小刚'), h.member('小丽')]
    await h.join(r1, [a, b])
    await h.join(r2, [c])
    await h.say(r1, a, '签到')
    // joined the day after: not in the day-3 post of the 26th
    await h.clock.advanceTo(sh('2026-11-24 10:00'))
    await h.join(r2, [d])
    await h.leave(r1, [b])
    await h.clock.advanceTo(sh('2026-11-26 20:00'))
    await h.flush()
    const day3 = (room: string) => postsIn(h, room).filter((s) => s.text.includes('进群第 3 天'))
    expect(day3('r1@chatroom')).toHaveLength(1)
    expect(day3('r1@chatroom')[0]!.mentionIds).toEqual([a.id])
    expect(day3('r1@chatroom')[0]!.text).toMatch(/^@小红 进群第 3 天啦（1 人），10 分以上/)
    expect(day3('r2@chatroom').map((s) => s.mentionIds)).toEqual([[c.id]])
    expect(day3('r2@chatroom')[0]!.text).toContain('，0 分以上')
    // the next evening: 小丽's day 3
    await h.clock.advanceTo(sh('2026-11-27 20:00'))
    await h.flush()
    expect(day3('r2@chatroom').map((s) => s.mentionIds)).toEqual([[c.id], [d.id]])
    expect(day3('r1@chatroom')).toHaveLength(1)
  })

  it('{names} in a when-post is a config error at its place', () => {
    const errors = configErrors(
      config(`        - id: morning
          when: "每天 09:00"
          send: "{names} 早上好"`),
      SKILLS,
    )
    expect(errors).toEqual([expect.stringMatching(/^bot\.yaml:13:18: \{names\} is only known in after: joined posts/)])
    // an unknown variable is the reply's own error (and no crash of the post's check)
    expect(configErrors(config(`        - id: morning\n          when: "每天 09:00"\n          send: "{nope} 早上好"`), SKILLS)).toEqual([
      expect.stringMatching(/^bot\.yaml:13:18: unknown template variable \{nope\}; this template knows \{names\}, \{count\}, \{points\}/),
    ])
  })

  it('a post needs when or after, not both; a bad when names the forms', () => {
    const errors = configErrors(
      config(`        - id: a
          send: x
        - id: b
          when: "每周八 10:00"
          send: x
        - id: a
          after: { joined: 3d, at: "20:00" }
          when: "每天 09:00"
          send: x`),
      SKILLS,
    ).join('\n')
    expect(errors).toMatch(/bot\.yaml:11:\d+: a post needs when \(a schedule\) or after/)
    expect(errors).toMatch(/bot\.yaml:14:17: when "每周八 10:00": "周八" is not a day/)
    expect(errors).toMatch(/bot\.yaml:17:\d+: a post has when or after, not both/)
  })
})

describe('posts: exactly once across a restart', () => {
  const yaml = config(`        - id: morning
          when: "每天 09:00"
          send: ["早上好", { media: rules }]`)

  async function restart(adapter: MemoryAdapter, at: string) {
    const lines: Array<Record<string, unknown>> = []
    const b = await boot(yaml, at, { adapter, lines })
    await b.h.flush()
    return { ...b, lines }
  }

  it('a post due while the bot was down goes out once after the start when at most 10 minutes late', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(yaml, '2026-11-26 08:00', { adapter })
    await first.h.store.durable()
    first.h.engine.stop()
    const second = await restart(adapter, '2026-11-26 09:07')
    expect(postsIn(second.h, 'r1@chatroom').map((s) => [s.at, s.text])).toEqual([[sh('2026-11-26 09:07'), '早上好'], [sh('2026-11-26 09:07'), '[media rules]']])
    // another restart in the same minute: nothing again
    await second.h.store.durable()
    second.h.engine.stop()
    const third = await restart(adapter, '2026-11-26 09:08')
    await third.h.clock.advanceTo(sh('2026-11-26 23:00'))
    expect(third.h.sent).toEqual([])
    await third.h.clock.advanceTo(sh('2026-11-27 09:00'))
    await third.h.flush()
    expect(postsIn(third.h, 'r1@chatroom').map((s) => s.text)).toEqual(['早上好', '[media rules]'])
  })

  it('more than 10 minutes late: skipped, a log line, and a skipped line per room in the delivery log', async () => {
    const adapter = new MemoryAdapter()
    const first = await boot(yaml, '2026-11-26 08:00', { adapter })
    await first.h.store.durable()
    first.h.engine.stop()
    // down for two days
    const second = await restart(adapter, '2026-11-28 09:30')
    expect(second.h.sent).toEqual([])
    expect(second.lines.find((l) => l.msg === 'a post fell due while the bot was down and is too late now; skipped')).toMatchObject({ post: 'morning', missed: 3, rooms: 2 })
    const log = deliveries(second.h).map((d) => [d.occ, d.room, deliveryStatus(d).status, deliveryStatus(d).reason])
    expect(log).toEqual([
      ['2026-11-26 09:00', 'r1@chatroom', 'skipped', expect.stringMatching(/the bot was down; \d+ minutes late \(at most 10\), 3 occurrences missed/)],
      ['2026-11-26 09:00', 'r2@chatroom', 'skipped', expect.any(String)],
    ])
    await second.h.clock.advanceTo(sh('2026-11-29 09:00'))
    await second.h.flush()
    expect(postsIn(second.h, 'r1@chatroom').map((s) => s.text)).toEqual(['早上好', '[media rules]'])
  })

  it('after a crash, a post part still in the queue is sent; one sent or possibly taken by the puppet (sending) never again', async () => {
    const adapter = new MemoryAdapter()
    // one message a minute per room: the media part waits behind the text
    const first = await boot(yaml, '2026-11-26 08:59', { adapter, limits: { roomPerMinute: 1, totalPerMinute: 60 } })
    await first.h.clock.advanceTo(sh('2026-11-26 09:00'))
    await first.h.flush()
    expect(postsIn(first.h, 'r1@chatroom').map((s) => s.text)).toEqual(['早上好'])
    // as if the crash came while r1's media part was in the puppet's hands (its state "sending")
    const r1 = deliveries(first.h).find((d) => d.room === 'r1@chatroom')!
    expect(r1.parts).toEqual(['sent', 'queued'])
    first.h.store.set(first.h.store.keys('posts/group:fans/sends/').find((k) => k.endsWith('/r1@chatroom'))!, { ...r1, parts: ['sent', 'sending'] } as never)
    await first.h.store.durable()
    first.h.engine.stop() // a crash: r2's parts never reached the puppet
    const second = await restart(adapter, '2026-11-26 09:04')
    expect(postsIn(second.h, 'r1@chatroom')).toEqual([])
    // the second room's text was still waiting for its turn (the queue's gap) at the crash
    expect(postsIn(first.h, 'r2@chatroom')).toEqual([])
    expect(postsIn(second.h, 'r2@chatroom').map((s) => s.text)).toEqual(['早上好', '[media rules]'])
  })
})

describe('posts: #post list, skip, now', () => {
  const yaml = config(`        - id: morning
          when: "每天 09:00"
          send: 早上好
        - id: day3
          after: { joined: 3d, at: "20:00" }
          send: "{names} 进群第 3 天啦"`)

  it('list shows the next occurrences; skip takes out the next one only; now sends once, now', async () => {
    const { h, rooms } = await boot(yaml, '2026-11-26 08:00')
    const [r1] = rooms as [ReturnType<Harness['room']>]
    const boss = h.member('Boss', 'wxid_boss')
    await h.say(r1, boss, '#post list')
    expect(h.texts('r1@chatroom').at(-1)).toBe(
      '本群的定时群发（2）：\nmorning · 每天 09:00 · 下次 11月26日 09:00 · 早上好\nday3 · 入群第 3 天 20:00 · 下次 11月26日 20:00 · {names} 进群第 3 天啦\n跳过下一次：#post skip <编号> · 立即发：#post now <编号>',
    )
    await h.say(r1, boss, '#post skip morning')
    expect(h.texts('r1@chatroom').at(-1)).toBe('已跳过 morning 的下一次（11月26日 09:00）；再下一次：11月27日 09:00')
    await h.clock.advanceTo(sh('2026-11-26 12:00'))
    await h.flush()
    expect(h.texts('r1@chatroom').filter((t) => t === '早上好')).toEqual([])
    await h.say(r1, boss, '#post now morning')
    expect(h.texts('r1@chatroom').slice(-2).sort()).toEqual(['morning 正在发往本组的 2 个群', '早上好'].sort())
    expect(h.texts('r2@chatroom')).toEqual(['早上好'])
    await h.clock.advanceTo(sh('2026-11-27 09:00'))
    await h.flush()
    expect(h.texts('r2@chatroom')).toEqual(['早上好', '早上好'])
    await h.say(r1, boss, '#post skip nope')
    expect(h.texts('r1@chatroom').at(-1)).toMatch(/本群没有编号为 nope 的定时群发/)
    // members get nothing from #post
    await h.say(r1, h.member('小红'), '#post now morning')
    expect(h.texts('r2@chatroom')).toHaveLength(2)
  })
})

describe('posts: the daily media budget', () => {
  it('a room whose account has no image left today gets the post tomorrow, with a line in the log', async () => {
    const { h } = await boot(
      config(`        - id: morning
          when: "每天 09:00"
          send: ["早上好", { media: rules }]`),
      '2026-11-26 08:00',
      { mediaLeft: { image: 1 } },
    )
    await h.clock.advanceTo(sh('2026-11-26 09:00'))
    await h.flush()
    // one image left: the first room gets the post, the second waits
    expect(postsIn(h, 'r1@chatroom').map((s) => s.text)).toEqual(['早上好', '[media rules]'])
    expect(postsIn(h, 'r2@chatroom')).toEqual([])
    const waiting = deliveries(h).find((d) => d.room === 'r2@chatroom')!
    expect(deliveryStatus(waiting)).toEqual({ status: 'skipped', reason: expect.stringMatching(/today's image budget .* is spent; sent tomorrow/) })
    // a new day, a new budget: the waiting room gets today's post and, at 09:00, tomorrow's
    h.setMediaLeft('image', 3)
    await h.clock.advanceTo(sh('2026-11-27 09:00'))
    await h.flush()
    expect(postsIn(h, 'r2@chatroom').map((s) => s.text)).toEqual(['早上好', '[media rules]', '早上好', '[media rules]'])
  })
})
