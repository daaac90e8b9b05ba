import { describe, expect, it } from 'vitest'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { AutoreplySkill, createAutoreplySkill } from '../../../skills/autoreply/index.js'
import { PingSkill } from '../../../skills/ping/index.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness } from '../../helpers/harness.js'

/** Rules, as an operator writes them; `{RULES}` is replaced per test. */
const config = (rules: string): string => `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        rules:
${rules}`

const STANDARD = config(`          - keywords: [发货, 快递]
            reply: "{name}，下单后 48 小时内发货"
          - regex: "优惠(券|码)"
            replies: ["领券入口在群公告", "优惠券每周一发放"]
            cooldownSeconds: 60
          - exact: 群规
            reply: "群规：友善交流，不发广告"
          - keywords: [券]
            reply: "（券的兜底规则）"
`)

/** A random source that returns these values in turn. */
const sequence = (...values: number[]) => {
  let i = 0
  return () => values[i++ % values.length]!
}

async function setup(yaml = STANDARD, random = sequence(0)) {
  const h = await harness(yaml, { skills: [createAutoreplySkill({ random })] })
  return { h, room: h.room('粉丝1群'), alice: h.member('Alice') }
}

describe('autoreply rules', () => {
  it('a keyword anywhere in the message answers, with {name}; other messages pass', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '请问什么时候发货呀？')
    await h.say(room, alice, '今天天气不错')
    expect(h.texts(room.id)).toEqual(['Alice，下单后 48 小时内发货'])
    expect(h.engine.stats.forRoom('fans', room.id).answeredByRules).toBe(1)
  })

  it('keywords and exact texts ignore letter case and full-width forms', async () => {
    const { h, room, alice } = await setup(
      config(`          - keywords: [VIP]
            reply: "vip 权益见群公告"
          - exact: FAQ?
            reply: "常见问题见群公告"
`),
    )
    await h.say(room, alice, '我是ｖｉｐ吗')
    await h.say(room, alice, 'faq？')
    expect(h.texts(room.id)).toEqual(['vip 权益见群公告', '常见问题见群公告'])
  })

  it('exact matches only the whole trimmed message', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '  群规 ')
    await h.say(room, alice, '群规是什么')
    expect(h.texts(room.id)).toEqual(['群规：友善交流，不发广告'])
  })

  it('a regex rule answers, then stays quiet in that room for cooldownSeconds, swallowing the message', async () => {
    const { h, room, alice } = await setup()
    const other = h.room('粉丝2群')
    await h.say(room, alice, '有优惠券吗')
    expect(h.texts(room.id)).toEqual(['领券入口在群公告'])

    // cooling down: not answered, and not passed to the later 券 rule either
    await h.clock.advance(59_000)
    await h.say(room, alice, '优惠码呢')
    expect(h.texts(room.id)).toHaveLength(1)
    // the cooldown is per room
    await h.say(other, alice, '优惠码呢')
    expect(h.texts(other.id)).toEqual(['领券入口在群公告'])

    await h.clock.advance(1_000)
    await h.say(room, alice, '优惠码呢')
    expect(h.texts(room.id)).toEqual(['领券入口在群公告', '领券入口在群公告'])
    // a rule without cooldown answers every time
    await h.say(room, alice, '发货')
    await h.say(room, alice, '发货')
    expect(h.texts(room.id).slice(2)).toEqual(['Alice，下单后 48 小时内发货', 'Alice，下单后 48 小时内发货'])
  })

  it('cooldowns are in the store: a restart does not reset them', async () => {
    const adapter = new MemoryAdapter()
    const first = await harness(STANDARD, { skills: [AutoreplySkill], adapter })
    const room = first.room('粉丝1群', 'r1@chatroom')
    await first.say(room, first.member('Alice'), '优惠券')
    expect(first.texts(room.id)).toHaveLength(1)

    const second = await harness(STANDARD, { skills: [AutoreplySkill], adapter, clock: first.clock })
    const again = second.room('粉丝1群', 'r1@chatroom')
    await second.clock.advance(30_000)
    await second.say(again, second.member('Bob'), '优惠券')
    expect(second.texts(again.id)).toEqual([])
    await second.clock.advance(30_000)
    await second.say(again, second.member('Bob'), '优惠券')
    expect(second.texts(again.id)).toHaveLength(1)
  })

  it('replies: one picked by the random source', async () => {
    const { h, room, alice } = await setup(STANDARD, sequence(0.99, 0.2, 0.5))
    const other = h.room('粉丝2群')
    const third = h.room('粉丝3群')
    await h.say(room, alice, '优惠券')
    await h.say(other, alice, '优惠券')
    await h.say(third, alice, '优惠券')
    expect([...h.texts(room.id), ...h.texts(other.id), ...h.texts(third.id)]).toEqual([
      '优惠券每周一发放',
      '领券入口在群公告',
      '优惠券每周一发放',
    ])
  })

  it('the first matching rule in config order answers, whatever the kind', async () => {
    const { h, room, alice } = await setup(
      config(`          - exact: 发货
            reply: "exact first"
          - regex: "发.+慢"
            reply: "regex second"
          - keywords: [发货, 慢]
            reply: "keyword third"
`),
    )
    await h.say(room, alice, '发货')
    await h.say(room, alice, '发货太慢了')
    await h.say(room, alice, '快点发货')
    expect(h.texts(room.id)).toEqual(['exact first', 'regex second', 'keyword third'])
  })

  it('rules match the text without @mentions', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '@小助手 群规', { mentionsBot: true })
    expect(h.texts(room.id)).toEqual(['群规：友善交流，不发广告'])
  })

  it('with no rule matching and no ai, the message goes on to other skills', async () => {
    const skills = [createAutoreplySkill(), PingSkill]
    const yaml = STANDARD.replace('      autoreply:', '      ping: {}\n      autoreply:')
    const h = await harness(yaml, { skills })
    const room = h.room('粉丝1群')
    await h.say(room, h.member('Alice'), 'ping')
    expect(h.texts(room.id)).toEqual(['pong Alice'])
  })

  it('autoreply: {} is valid and answers nothing', async () => {
    const yaml = 'groups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills:\n      autoreply: {}\n'
    const h = await harness(yaml, { skills: [AutoreplySkill] })
    const room = h.room('粉丝1群')
    await h.say(room, h.member('Alice'), '发货', { mentionsBot: true })
    expect(h.texts(room.id)).toEqual([])
  })
})

describe('autoreply config errors', () => {
  const problems = (rules: string): string[] => configErrors(config(rules), [AutoreplySkill])

  it('an invalid regex is reported at its file:line:col', () => {
    expect(problems(`          - regex: "优惠(券"\n            reply: x\n`)).toEqual([
      'bot.yaml:9:20: invalid regular expression /优惠(券/iu: missing closing ) at `优惠(券` — 正则表达式有误：缺少右括号 )（`优惠(券`）',
    ])
  })

  it('a rule without a reply, or with both reply and replies', () => {
    expect(problems(`          - keywords: [a]\n`)).toEqual([
      'bot.yaml:9:13: a rule needs reply (one text) or replies (a list, one picked at random)',
    ])
    expect(problems(`          - keywords: [a]\n            reply: x\n            replies: [y]\n`)).toEqual([
      'bot.yaml:11:22: a rule has reply or replies, not both',
    ])
    expect(problems(`          - keywords: [a]\n            replies: []\n`)).toEqual(['bot.yaml:10:22: replies is empty; list at least one text'])
  })

  it('a rule needs exactly one of keywords, regex, exact', () => {
    expect(problems(`          - reply: x\n`)).toEqual([
      'bot.yaml:9:13: a rule needs what to match: keywords (contains), regex or exact (whole message)',
    ])
    expect(problems(`          - keywords: [a]\n            regex: b\n            reply: x\n`)).toEqual([
      'bot.yaml:10:20: a rule matches by one of keywords, regex or exact; this one has keywords and regex (make it two rules)',
    ])
    expect(problems(`          - keywords: []\n            reply: x\n`)).toEqual(['bot.yaml:9:23: keywords is empty; list at least one text'])
  })

  it('replies know only {name}', () => {
    expect(problems(`          - exact: a\n            reply: "hi {nmae}"\n`)).toEqual([
      'bot.yaml:10:24: unknown template variable {nmae}; this template knows {name}',
    ])
  })

  it('unknown keys and wrong types are named', () => {
    const ps = problems(`          - exact: a\n            reply: x\n            cooldownSecond: 5\n          - exact: b\n            reply: y\n            cooldownSeconds: -1\n`)
    expect(ps).toEqual([
      'bot.yaml:11:13: unknown key "cooldownSecond" (did you mean "cooldownSeconds"?)',
      'bot.yaml:14:30: cooldownSeconds must be 0 or more',
    ])
  })
})
