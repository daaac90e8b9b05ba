import type { Member, MessageContext } from '../../src/engine/Skill.js'
import { HandoffInbox } from '../../src/inbox/HandoffInbox.js'
import type { Mention, Sayable } from '../../src/text/Outgoing.js'
import { clip, MAX_TEXT_LENGTH } from '../../src/text/Outgoing.js'
import { parseTemplate, renderText } from '../../src/text/template.js'
import { DEFAULT_HANDOFF, type AutoreplySettings } from './config.js'

/** Why a question did not get a model answer: the log's word, and the admins'. */
export const HANDOFF_REASONS = {
  'model-off': '未接入 AI 模型',
  'over-limit': '该成员本小时提问次数已达上限',
  timeout: 'AI 回答超时',
  error: 'AI 接口出错',
  'empty-answer': 'AI 没有给出回答',
  'guard-refused': 'AI 回答疑似泄露了指令，已拦截',
  'knowledge-unavailable': '知识库文件读取失败',
  rule: '命中转人工规则，已按规则回复',
  'rule-cooling-down': '命中转人工规则（规则冷却中，群里未再回复）',
} as const

export type HandoffReason = keyof typeof HANDOFF_REASONS

/** An @mention of the asker, so the answer finds them in a busy group. */
export function mentionOf(member: Member): Mention {
  return { mention: member.id, name: member.name }
}

/** The admins' note when there is no `ai` section to set `handoffText` (a rule's hand-off). */
const DEFAULT_HANDOFF_TEMPLATE = parseTemplate(DEFAULT_HANDOFF)

export interface HandoffOptions {
  /**
   * What the member gets in the room. Default: an @mention and the `ai.fallbackReply` (the
   * model's way). A rule passes its own reply; `null` sends nothing (a rule cooling down).
   */
  reply?: Sayable | null
  /** The rule (1-based) that handed the question off, for the log. */
  rule?: number
}

/**
 * The after-sales hand-off, the ONE way a question reaches people: the member gets a reply in
 * the group (the fallbackReply, or the rule's reply), and every admin a private message with
 * the group, the room, who asked and the question. Used by the model's failures
 * (modelAnswer.ts) and by rules with `handoff: true` (index.ts). No question is dropped
 * silently; each hand-off is counted (`handedOff`) and logged with its reason.
 * Each hand-off is also a durable record in the console's inbox (src/inbox, answered or
 * closed there).
 */
export function handOff(ctx: MessageContext<AutoreplySettings>, question: string, reason: HandoffReason, options: HandoffOptions = {}): void {
  const ai = ctx.config.ai
  const reply = options.reply !== undefined ? options.reply : ai ? [mentionOf(ctx.talker), ...ctx.render(ai.fallbackReply, { name: ctx.talker.name })] : null
  const log = ctx.log.child({ room: ctx.room.id, member: ctx.talker.id })
  const say = (p: Promise<void>, to: string): void => void p.catch((err: unknown) => log.error({ err, to }, 'hand-off message failed'))
  // stored before anything is said (say waits for the store): the inbox never misses one
  const record = HandoffInbox.of(ctx.store.store).open({
    group: ctx.group.name,
    roomId: ctx.room.id,
    roomTopic: ctx.room.topic,
    memberId: ctx.talker.id,
    memberName: ctx.talker.name,
    text: question,
    reason,
    reasonText: HANDOFF_REASONS[reason],
    at: ctx.clock.now(),
  })

  // the admins are told (owed, below); the member's reply is informational, one per member while it waits
  if (reply !== null) say(ctx.say(reply, { kind: 'info', coalesce: { key: `autoreply:handoff:${ctx.talker.id}` } }), ctx.room.id)
  const note = clip(
    renderText(ai?.handoffText ?? DEFAULT_HANDOFF_TEMPLATE, {
      group: ctx.group.name,
      topic: ctx.room.topic,
      name: ctx.talker.name,
      id: ctx.talker.id,
      question,
      reason: HANDOFF_REASONS[reason],
    }),
    MAX_TEXT_LENGTH,
  )
  // owed: the hand-off is stored (the inbox); an admin's notes merge when several wait
  for (const admin of ctx.bot.admins) say(ctx.tell(admin, note, { kind: 'owed' }), admin)
  ctx.count('handedOff')
  const rule = options.rule
  if (ctx.bot.admins.length === 0) log.warn({ reason, rule, question, handoff: record.id }, 'question handed off, but bot.admins is empty: only the console inbox has it')
  else log.info({ reason, rule, question, admins: ctx.bot.admins.length, handoff: record.id }, 'question handed off to the admins')
}
