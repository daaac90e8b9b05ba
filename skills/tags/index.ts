import { defineSkill, type DirectContext, type MessageContext } from '../../src/engine/Skill.js'
import type { Sayable } from '../../src/text/Outgoing.js'
import { tagCommand } from './commands.js'
import { TagsConfig } from './config.js'
import { earnedTags } from './rules.js'

/**
 * tags — 标签 (CONTRACT §4). Tags belong to a contact, brand-wide (`core/tags/`, see
 * src/members/TagBook.ts), each with its source and time. This skill gives admins
 * `#tag add|del|list`, gives members `我的标签` (in a group or privately), and applies the
 * rule tags of `bot.tags` whenever a member's points change anywhere (check-in, redemption,
 * adjustment) — a brand-wide hook, so it works whether or not a group enables the skill.
 * Rule tags are kept once earned (a broken streak does not take 活跃粉 away; `#tag del` does).
 */
export const TagsSkill = defineSkill<TagsConfig>({
  name: 'tags',
  description: 'member tags: #tag add|del|list, 我的标签, rule tags from streaks and points',
  config: TagsConfig,
  commands: { tag: tagCommand },

  takes: (c, text) => c.meTriggers.includes(text),

  onMessage(ctx) {
    if (!ctx.config.meTriggers.includes(ctx.message.text)) return false
    // informational: a member's repeats while it waits are one reply
    void ctx.say(myTags(ctx, ctx.talker), { kind: 'info', coalesce: { key: `tags:me:${ctx.talker.id}` } })
    return true
  },

  onDirect(ctx) {
    if (!ctx.config.meTriggers.includes(ctx.message.text)) return false
    void ctx.reply(myTags(ctx, ctx.contact), { kind: 'info', coalesce: { key: 'tags:me' } })
    return true
  },

  onPointsChanged(ctx) {
    const rules = ctx.bot.tags
    if (rules.length === 0) return
    const { memberId, pool } = ctx.change
    for (const { tag, source } of earnedTags(rules, ctx.change)) {
      if (ctx.tags.add(memberId, tag, { source, at: ctx.clock.now() })) {
        ctx.log.info({ audit: true, action: 'rule tag', contact: memberId, tag, source, pool }, 'rule tag given')
      }
    }
  },
})

function myTags(ctx: MessageContext<TagsConfig> | DirectContext<TagsConfig>, who: { id: string; name: string }): Sayable {
  const tags = ctx.tags.names(who.id)
  if (tags.length === 0) return ctx.render(ctx.config.meNone, { name: who.name })
  return ctx.render(ctx.config.meReply, { name: who.name, tags: tags.join('、') })
}
