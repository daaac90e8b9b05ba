import { z } from 'zod'
import { duration, positiveInt, regexSource, stringList } from '../../src/config/common.js'
import { anyOf, type OperatorRegex } from '../../src/text/operatorRegex.js'
import { template } from '../../src/text/template.js'

/*
 * guard 的配置 / guard's config (CONTRACT §6):
 *
 *   guard:
 *     block:                          # 成员不许发的内容（管理员和豁免成员除外）/ what members may not post
 *       links: true                   # 文字里的网址、链接卡片 / URLs in text, link cards
 *       miniPrograms: true            # 小程序卡片 / mini-program cards
 *       contactCards: true            # 名片 / name cards
 *       words: [加微信, 代购, 兼职]     # 包含任意一个 / the text contains any
 *       regex: ["1[3-9]\\d{9}"]       # 正则（RE2，线性时间）/ regular expressions (RE2, linear time)
 *       flood: { messages: 8, seconds: 10 }   # 10 秒内超过 8 条 / more than 8 in 10 s; false: off
 *       repeat: { times: 3, minutes: 10 }     # 10 分钟内同一段话发 3 次（跨本组的群）/ false: off
 *     exempt: { tags: [staff], ids: [wxid_x] }   # 管理员总是豁免 / admins always are
 *     strikes: 3                      # 窗口内第 3 次违规移出 / the 3rd strike within window removes
 *     window: 7d
 *     warnText: "{name} 本群不允许{rule}，再 {remaining} 次将被移出"
 *     removeText: "{name} 因{rule}已被移出本群"
 *     blacklist: true                 # 被移出的人再进本组任何群会再被移出 / rejoining is removed again
 *     removalsPerHour: 20
 */

/** A rule's name as `{rule}` shows it ("本群不允许{rule}", "因{rule}已被移出本群"). */
export const RULE_NAMES = {
  links: '发链接',
  miniPrograms: '发小程序',
  contactCards: '发名片',
  words: '发广告',
  regex: '发违规内容',
  flood: '刷屏',
  repeat: '重复发同样的消息',
  blacklist: '被移出后再次进群',
} as const

export type RuleName = keyof typeof RULE_NAMES

const onOff = (what: string) => z.boolean({ error: `${what} is true or false` })

/**
 * The patterns as one alternation (operatorRegex's anyOf: RE2 runs it in one linear pass).
 * Each pattern was compiled on its own first, so an error points at its line; should the union
 * not compile (a group name used twice), the patterns are tried one by one.
 */
function anyOfRegexes(list: readonly OperatorRegex[]): OperatorRegex | undefined {
  if (list.length <= 1) return list[0]
  return anyOf(list) ?? { source: list.map((r) => r.source).join(' | '), flags: list[0]!.flags, test: (text) => list.some((r) => r.test(text)) }
}

const Flood = z.strictObject({
  messages: positiveInt('flood.messages').describe('more than this many messages from one member…'),
  seconds: positiveInt('flood.seconds').max(3600, 'flood.seconds is at most 3600').describe('…within this many seconds is a strike'),
})

const Repeat = z.strictObject({
  times: z.number({ error: 'repeat.times must be a number' }).int('repeat.times must be a whole number').min(2, 'repeat.times is at least 2').describe('the same text this many times…'),
  minutes: positiveInt('repeat.minutes').max(1440, 'repeat.minutes is at most 1440').describe('…within this many minutes, across the group’s rooms, is a strike'),
  minChars: positiveInt('repeat.minChars')
    .default(5)
    .describe('shorter texts never count as repeats (签到, 哈哈, 好的 are said again and again)'),
})

export const GuardConfig = z.strictObject({
  block: z
    .strictObject({
      links: onOff('links').default(true).describe('URLs in text (also bare domains like example.com) and link cards'),
      miniPrograms: onOff('miniPrograms').default(true).describe('mini-program cards'),
      contactCards: onOff('contactCards').default(true).describe('name cards (名片)'),
      words: stringList('a list of words').default([]).describe('the text (or a card’s title) contains any of them, any case'),
      regex: z.array(regexSource('iu'), { error: 'regex is a list of regular expressions' }).default([]).describe('found anywhere in the text, any case (RE2)'),
      flood: z
        .union([z.literal(false), Flood], { error: 'flood is { messages, seconds } or false' })
        .default({ messages: 8, seconds: 10 })
        .describe('more than `messages` messages of any kind from one member within `seconds`; false: off'),
      repeat: z
        .union([z.literal(false), Repeat], { error: 'repeat is { times, minutes } or false' })
        .default({ times: 3, minutes: 10, minChars: 5 })
        .describe('the same text `times` times within `minutes` from one member, across the group’s rooms; false: off'),
    })
    .prefault({})
    // one RE2 pass for all the patterns instead of one per pattern (measured: bench/guard.ts)
    .transform((b) => ({ ...b, regexAny: anyOfRegexes(b.regex) })),
  exempt: z
    .strictObject({
      tags: stringList('a list of tags').default([]).describe('a member with any of these tags may post anything'),
      ids: stringList('a list of contact ids').default([]).describe('contact ids that may post anything'),
    })
    .prefault({})
    .describe('admins always are exempt; members invited by the gate are not'),
  strikes: positiveInt('strikes').max(100, 'strikes is at most 100').default(3).describe('the Nth strike within `window` removes the member (1: the first)'),
  window: duration().prefault('7d').describe('strikes older than this are forgotten'),
  warnText: template(['name', 'rule', 'strikes', 'remaining'], 'said in the room at a strike that does not remove.').prefault(
    '{name} 本群不允许{rule}，再 {remaining} 次将被移出',
  ),
  removeText: template(['name', 'rule'], 'said in the room when a member is removed.').prefault('{name} 因{rule}已被移出本群'),
  blacklist: onOff('blacklist').default(true).describe('a removed member who joins (or speaks in) any room of the group is removed again'),
  removalsPerHour: positiveInt('removalsPerHour').default(20).describe('most removals per hour in this group; more wait for their turn (kept)'),
})

export type GuardConfig = z.output<typeof GuardConfig>
