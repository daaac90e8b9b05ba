import { existsSync, statSync } from 'node:fs'
import { resolve } from 'node:path'
import { defineSkill, type MessageContext } from '../../src/engine/Skill.js'
import { readTextFile, readTextFileSync, TextFileError } from '../../src/text/decodeText.js'
import { uses } from '../../src/text/template.js'
import { AutoreplyConfig, type AiPart, type AutoreplySettings } from './config.js'
import { handOff } from './handoff.js'
import { askModel } from './modelAnswer.js'
import { sweepAutoreply } from './sweep.js'

export { AutoreplyConfig } from './config.js'
export { RuleMatcher } from './RuleMatcher.js'

/** A knowledge file above this size still works, but every question sends all of it. */
export const KNOWLEDGE_WARN_BYTES = 64 * 1024

export interface AutoreplyOptions {
  /** Picks among a rule's `replies`: a number in [0, 1). Tests pass a fixed sequence. */
  random?: () => number
}

/**
 * autoreply — keywords first, then the model. Rules (keywords, regex, exact) answer in config
 * order; when none matches and `ai` is set, a question (by default only one that @s the bot)
 * goes to the model in the background, and whatever goes wrong ends in the fallbackReply and
 * a private hand-off to the admins.
 */
export function createAutoreplySkill(options: AutoreplyOptions = {}) {
  const random = options.random ?? Math.random
  // knowledge text per loaded `ai` section: a new config (a reload) brings new objects, so an
  // old text is never used with a new config and is dropped with it
  const knowledge = new WeakMap<AiPart, Promise<string | undefined>>()

  return defineSkill<AutoreplySettings>({
    name: 'autoreply',
    description: 'answers questions: keyword/regex/exact rules first, then the model',
    config: AutoreplyConfig,
    sweep: sweepAutoreply,

    check(config, report) {
      const file = config.ai?.knowledge
      if (!file) return
      const info = existsSync(resolve(file)) ? statSync(resolve(file)) : undefined
      if (!info) {
        report.error(['ai', 'knowledge'], `knowledge file not found: ${file} (paths are relative to the working directory, ${process.cwd()})`)
      } else if (!info.isFile()) {
        report.error(['ai', 'knowledge'], `knowledge is not a file: ${file}`)
      } else {
        if (info.size > KNOWLEDGE_WARN_BYTES) {
          report.warn(['ai', 'knowledge'], `knowledge file is ${info.size} bytes; all of it goes with every question (cost, and the model's context limit)`)
        }
        // read as its author saved it (UTF-8, UTF-16, GB18030) or refused at its line, as codes files are
        try {
          readTextFileSync(resolve(file), file)
        } catch (err) {
          report.error(['ai', 'knowledge'], err instanceof TextFileError ? `knowledge file ${err.message}` : `knowledge file ${file}: ${(err as Error).message}`)
        }
      }
    },

    summary(config) {
      const ai = config.ai
      const model = !ai
        ? 'no model'
        : `model for ${ai.whenMentioned ? '@-mentions' : 'every message'} no rule answers, ${ai.perMemberPerHour}/member/hour` +
          (ai.knowledge ? `, knowledge ${ai.knowledge}` : '')
      const handoffs = config.rules.filter((r) => r.handoff).length
      return [`${config.rules.length} rule(s)${handoffs ? ` (${handoffs} also hand off to the admins)` : ''}; ${model}`]
    },

    onStart(ctx) {
      const ai = ctx.config.ai
      if (!ai?.knowledge) return
      const file = ai.knowledge
      const text = readTextFile(resolve(file), file).then(
        ({ text: t, encoding }) => {
          ctx.log.info({ file, chars: t.length, encoding }, 'knowledge loaded')
          return t
        },
        (err: unknown) => {
          ctx.log.error({ file, err: (err as Error).message }, 'knowledge file unreadable: questions are handed off to the admins')
          return undefined
        },
      )
      knowledge.set(ai, text)
      return text.then(() => undefined)
    },

    onMessage(ctx) {
      const text = ctx.message.textWithoutMentions
      if (text === '') return false
      const index = ctx.config.matcher.match(text)
      if (index !== undefined) return answerByRule(ctx, index, random)
      const ai = ctx.config.ai
      if (!ai || (ai.whenMentioned && !ctx.message.mentionsBot)) return false
      askModel(ctx, ai, text, knowledge.get(ai))
      return true
    },

    // the member's data rights (CONTRACT §11): hand-offs are the core's (src/inbox); here the
    // per-member count of questions to the model this hour
    forgetMember(ctx, contactId) {
      ctx.store.table<number[]>('asked').delete(contactId)
    },
  })
}

/** The skill with Math.random for `replies`: what the registry runs. */
export const AutoreplySkill = createAutoreplySkill()

/**
 * The rule at `index` matched: answer, unless it is cooling down in this room — then the
 * message is swallowed (see config.ts for why it does not fall through). A `handoff` rule
 * sends its reply through handOff(), which also tells the admins; during its cooldown it
 * still tells them, without a reply in the room.
 */
function answerByRule(ctx: MessageContext<AutoreplySettings>, index: number, random: () => number): true {
  const rule = ctx.config.rules[index]!
  const text = ctx.message.textWithoutMentions
  const now = ctx.clock.now()
  if (rule.cooldownMs > 0) {
    const cooldowns = ctx.store.child('cooldown').child(ctx.room.id)
    const last = cooldowns.get<number>(rule.key)
    // a timestamp in the future (the clock stepped back) does not silence a rule forever
    if (last !== undefined && now >= last && now - last < rule.cooldownMs) {
      ctx.log.debug({ room: ctx.room.id, rule: index + 1, remainingMs: rule.cooldownMs - (now - last) }, 'rule cooling down; message swallowed')
      if (rule.handoff) handOff(ctx, text, 'rule-cooling-down', { reply: null, rule: index + 1 })
      return true
    }
    cooldowns.set(rule.key, now)
  }
  const pick = Math.max(0, Math.min(rule.replies.length - 1, Math.floor(random() * rule.replies.length)))
  ctx.count('answeredByRules')
  ctx.log.debug({ room: ctx.room.id, rule: index + 1, reply: pick + 1 }, 'answered by a rule')
  const template = rule.replies[pick]!
  const reply = ctx.render(template, { name: ctx.talker.name })
  if (rule.handoff) {
    ctx.count('answeredAndHandedOff')
    handOff(ctx, text, 'rule', { reply, rule: index + 1 })
  } else {
    // an answer is informational: one per room while it waits, @-ing everyone who asked (per
    // member when the reply names its asker)
    const key = `autoreply:rule:${rule.key}${uses(template, 'name') ? `:${ctx.talker.id}` : ''}`
    void ctx.say(reply, { kind: 'info', coalesce: { key, asker: ctx.talker } })
  }
  return true
}
