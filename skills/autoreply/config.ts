import { createHash } from 'node:crypto'
import { z } from 'zod'
import { nonNegativeInt, positiveInt, regexSource, stringList } from '../../src/config/common.js'
import { fixedPromptLines } from '../../src/ai/prompt.js'
import { template, type Template } from '../../src/text/template.js'
import { reply } from '../../src/config/reply.js'
import { OutputGuard } from './OutputGuard.js'
import { RuleMatcher, type MatchRule } from './RuleMatcher.js'

/*
 * autoreply 的配置 / autoreply's config:
 *
 *   autoreply:
 *     rules:                       # 按顺序，第一条命中的规则回答 / in order, the first match answers
 *       - keywords: [发货, 快递]    # 消息包含其中任意一个 / the message contains any of them
 *         reply: "{name}，下单后 48 小时内发货"
 *       - regex: "优惠(券|码)"      # 正则，忽略大小写 / a regular expression, any case
 *                                  # (RE2 线性时间引擎：不支持反向引用和环视 / RE2, linear time:
 *                                  #  no backreferences or lookaround; docs/regex.md)
 *         replies: ["……", "……"]   # 随机挑一条 / one picked at random
 *         cooldownSeconds: 60      # 每个群每条规则 / per room, per rule
 *       - exact: 群规              # 整条消息（去掉首尾空格）/ the whole message, trimmed
 *         reply: "……"
 *       - keywords: [退货, 漏了]    # 售后 / after-sales
 *         reply: "{name}，已转给客服"
 *         handoff: true            # 回复后私信通知管理员 / then tell the admins privately
 *     ai:                          # 可选：没有规则命中时问模型 / optional: when no rule matched
 *       whenMentioned: true        # 只回答 @机器人 的消息 / only messages that @ the bot
 *       knowledge: config/knowledge/faq.md   # 相对于工作目录 / relative to the working directory
 *       systemPrompt: "……"
 *       perMemberPerHour: 5
 *       timeoutSeconds: 20         # 默认取顶层 ai.timeoutSeconds / default: the top-level one
 *       fallbackReply: "这个问题我先记下了，稍后请工作人员回复你～"
 *
 * 冷却期内命中的规则不回复，消息也不再交给后面的规则或模型（"第一条命中的规则"说了算）。
 * During a rule's cooldown a matching message gets no answer and goes nowhere else: the first
 * matching rule decides, quietly. Falling through would let a later, vaguer rule or the model
 * answer the same flood the cooldown is there to calm, and make answers depend on timing.
 * A `handoff` rule still tells the admins during its cooldown: the cooldown calms the room,
 * but each member's after-sales message must reach a person.
 */

/** Variables of a rule's reply: only the member's name. */
export const REPLY_VARS = ['name'] as const

/** Variables of the private hand-off message to the admins. */
export const HANDOFF_VARS = ['group', 'topic', 'name', 'id', 'question', 'reason'] as const

export const DEFAULT_FALLBACK = '这个问题我先记下了，稍后请工作人员回复你～'
export const DEFAULT_SYSTEM_PROMPT = '你是品牌粉丝群里的小助手，用亲切、简短的中文回答群友关于产品、订单和活动的问题。'
export const DEFAULT_HANDOFF = '【待人工回复】{group}「{topic}」\n{name}（{id}）问：{question}\n原因：{reason}'

/** A rule as the handler uses it. */
export interface Rule {
  match: MatchRule
  replies: Template[]
  cooldownMs: number
  /** Also tell the admins privately (member, room, text): see handoff.ts. */
  handoff: boolean
  /** Names the rule in the store (its cooldown) by what it matches, so reordering keeps it. */
  key: string
}

const TRIGGERS = ['keywords', 'regex', 'exact'] as const

const RuleSchema = z
  .strictObject({
    keywords: stringList('a keyword or a list of keywords').optional().describe('matches when the message contains any of them (any case)'),
    regex: regexSource('iu').optional().describe('a regular expression found anywhere in the message (any case); runs on RE2 (linear time): no backreferences or lookaround'),
    exact: stringList('a text or a list of texts').optional().describe('the whole message, trimmed (any case)'),
    reply: reply([...REPLY_VARS], 'the answer.').optional(),
    replies: z.array(reply([...REPLY_VARS]), { error: 'replies is a list of answers' }).optional().describe('answers; one is picked at random (each a text, or a list of texts and { media })'),
    cooldownSeconds: nonNegativeInt('cooldownSeconds').default(0).describe('per room: after answering, the rule stays quiet this long (0: never)'),
    handoff: z
      .boolean({ error: 'handoff is true or false' })
      .default(false)
      .describe('after the reply, also tell every bot.admins contact privately: the member, the room and the message (售后 / after-sales)'),
  })
  .superRefine((r, ctx) => {
    const given = TRIGGERS.filter((k) => r[k] !== undefined)
    if (given.length === 0) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs what to match: keywords (contains), regex or exact (whole message)' })
    } else if (given.length > 1) {
      ctx.addIssue({ code: 'custom', path: [given[1]!], message: `a rule matches by one of keywords, regex or exact; this one has ${given.join(' and ')} (make it two rules)` })
    }
    for (const k of ['keywords', 'exact'] as const) {
      if (r[k]?.length === 0) ctx.addIssue({ code: 'custom', path: [k], message: `${k} is empty; list at least one text` })
    }
    if (r.reply === undefined && r.replies === undefined) {
      ctx.addIssue({ code: 'custom', message: 'a rule needs reply (one text) or replies (a list, one picked at random)' })
    } else if (r.reply !== undefined && r.replies !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['replies'], message: 'a rule has reply or replies, not both' })
    } else if (r.replies?.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['replies'], message: 'replies is empty; list at least one text' })
    }
  })
  .transform((r): Rule => {
    const match: MatchRule = r.keywords ? { keywords: r.keywords } : r.exact ? { exact: r.exact } : { regex: r.regex! }
    const what = r.keywords ? `k:${r.keywords.join('\n')}` : r.exact ? `e:${r.exact.join('\n')}` : `r:${r.regex!.source}`
    return {
      match,
      replies: r.reply ? [r.reply] : r.replies!,
      cooldownMs: r.cooldownSeconds * 1000,
      handoff: r.handoff,
      key: createHash('sha256').update(what).digest('hex').slice(0, 16),
    }
  })
  .describe('one of keywords, regex or exact; and reply or replies')

const AiPartSchema = z
  .strictObject({
    whenMentioned: z.boolean({ error: 'whenMentioned is true or false' }).default(true).describe('only messages that @ the bot go to the model'),
    knowledge: z
      .string({ error: 'knowledge is a file path' })
      .min(1, 'knowledge is a file path')
      .optional()
      .describe('reference text for the model: a file path relative to the working directory, read at start'),
    systemPrompt: z
      .string({ error: 'systemPrompt is a text' })
      .min(1, 'systemPrompt cannot be empty')
      .default(DEFAULT_SYSTEM_PROMPT)
      .describe('the operator’s instructions to the model; put facts in knowledge, answers may not quote this'),
    perMemberPerHour: positiveInt('perMemberPerHour').default(5).describe('most model questions per member per hour; more get the fallbackReply'),
    timeoutSeconds: z
      .number({ error: 'timeoutSeconds must be a number' })
      .positive('timeoutSeconds must be above 0')
      .max(300, 'timeoutSeconds is at most 300')
      .optional()
      .describe('how long a member waits for the model (default: the top-level ai.timeoutSeconds)'),
    fallbackReply: reply([...REPLY_VARS], 'sent after an @mention of the member when the model is off, over the limit or failing.').prefault(DEFAULT_FALLBACK),
    handoffText: template([...HANDOFF_VARS], 'the private message to each admin when a question was not answered.').prefault(DEFAULT_HANDOFF),
  })
  .transform((a) => ({ ...a, guard: new OutputGuard([a.systemPrompt, ...fixedPromptLines()]) }))

export type AiPart = z.output<typeof AiPartSchema>

export const AutoreplyConfig = z
  .strictObject({
    rules: z.array(RuleSchema, { error: 'rules is a list of rules' }).default([]).describe('in order; the first rule that matches answers'),
    ai: z
      .union([z.literal(false), AiPartSchema], { error: 'ai is a map of model settings, or false' })
      .optional()
      .transform((a) => (a === false ? undefined : a))
      .describe('optional: ask the model when no rule matched; false turns it off'),
  })
  // compiled once per config load, not per message
  .transform((c) => ({ ...c, matcher: new RuleMatcher(c.rules.map((r) => r.match)) }))

export type AutoreplySettings = z.output<typeof AutoreplyConfig>
