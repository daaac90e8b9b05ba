import { z } from 'zod'
import { stringList } from '../../src/config/common.js'
import { defineSkill } from '../../src/engine/Skill.js'
import { template, uses } from '../../src/text/template.js'

/**
 * ping — the smallest skill: an exact trigger gets a fixed reply. Operators use it to see
 * that the bot is alive in a group; it also shows the whole skill API in a dozen lines.
 */
export const PingConfig = z.strictObject({
  triggers: stringList().prefault(['ping']).describe('the whole message, trimmed'),
  reply: template(['name']).prefault('pong {name}'),
})

export const PingSkill = defineSkill({
  name: 'ping',
  description: 'an exact trigger gets a fixed reply (is the bot alive here?)',
  config: PingConfig,
  takes: (c, text) => c.triggers.includes(text),
  onMessage(ctx) {
    if (!ctx.config.triggers.includes(ctx.message.text)) return false
    // informational: one per room while it waits, @-ing who asked (one per member when it names them)
    const key = uses(ctx.config.reply, 'name') ? `ping:${ctx.talker.id}` : 'ping'
    void ctx.say(ctx.render(ctx.config.reply, { name: ctx.talker.name }), { kind: 'info', coalesce: { key, asker: ctx.talker } })
    return true
  },
})
