import { defineSkill } from '../../src/engine/Skill.js'
import { HelloConfig } from './config.js'
import { helloSection } from './console.js'
import { Greetings } from './Greetings.js'

/**
 * hello — the example skill (README "Writing a skill"): a member says a trigger (早安) and
 * gets a greeting with their count; `#hello [人数]` shows the group's greeters to an admin;
 * the console's 早安 Hellos page lists them. One folder: config.ts (the YAML), Greetings.ts
 * (durable state), console.ts + page.js (the console section), this file.
 */
export const HelloSkill = defineSkill<HelloConfig>({
  name: 'hello',
  description: 'example: a greeting trigger, counted per member; #hello; the console page 早安 Hellos',
  config: HelloConfig,

  onMessage(ctx) {
    if (!ctx.config.triggers.includes(ctx.message.text)) return false
    // read and write in one synchronous step: two greetings at once both count
    const count = new Greetings(ctx.store).add(ctx.talker.id, ctx.talker.name, ctx.clock.now())
    // it confirms something stored: owed (sent once the count is on disk)
    void ctx.say(ctx.render(ctx.config.reply, { name: ctx.talker.name, count }), { kind: 'owed' })
    return true
  },

  commands: {
    hello: {
      usage: 'hello [人数，默认 5]',
      async run(ctx) {
        const n = ctx.args[0] === undefined ? 5 : Number(ctx.args[0])
        if (!Number.isInteger(n) || n < 1 || n > 50) return ctx.usage('人数是 1 到 50 的整数')
        const top = new Greetings(ctx.store).top(n)
        const lines = top.map((g, i) => `${i + 1}. ${g.name} ${g.count} 次`)
        // a listing: informational (one per room while it waits)
        await ctx.say(top.length === 0 ? '还没有人打招呼' : `早安榜：\n${lines.join('\n')}`, { kind: 'info', coalesce: { key: 'hello:top', asker: ctx.talker } })
      },
    },
  },

  /** 早安 Hellos in the console (console.ts). */
  console: helloSection,
})
