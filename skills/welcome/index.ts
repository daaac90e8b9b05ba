import { z } from 'zod'
import { defineSkill, type Member, type MembersContext } from '../../src/engine/Skill.js'
import type { Timer } from '../../src/clock/Clock.js'
import { splitSegments, type Mention } from '../../src/text/Outgoing.js'
import { template } from '../../src/text/template.js'

/**
 * welcome — the entry ritual. Everyone who joins within `batchSeconds` of the first joiner
 * gets ONE welcome that @s them all: fifty people joining at once is one message, not fifty
 * (groups call per-join welcomes spam). The core already drops the bot's own joining and a
 * join the puppet reports twice, and counts joins and leaves for #stats.
 *
 * A batch waiting for its window lives in memory: a restart inside those seconds forgets it
 * (no one is welcomed twice, a few may not be welcomed at all; welcomes are not promises).
 */
export const WelcomeConfig = z.strictObject({
  text: template(['names', 'topic', 'count'], 'The welcome; {names} becomes real @mentions.').prefault(
    '欢迎 {names} 加入{topic}！你是本群第 {count} 位家人，签到、提问、直播预约都可以找我～',
  ),
  batchSeconds: z
    .number({ error: 'batchSeconds must be a number of seconds' })
    .min(0, 'batchSeconds must be 0 or more')
    .max(600, 'batchSeconds is at most 600')
    .default(10)
    .describe('joins inside this window get ONE welcome that @s them all'),
})

export type WelcomeConfig = z.output<typeof WelcomeConfig>

interface PendingBatch {
  members: Member[]
  memberCount: number
  timer: Timer | undefined
}

/** Per room: the newcomers waiting for their welcome. */
type WelcomeMemory = Map<string, PendingBatch>

export const WelcomeSkill = defineSkill<WelcomeConfig, WelcomeMemory>({
  name: 'welcome',
  description: 'the entry ritual: one welcome that @s every newcomer of a batch',
  config: WelcomeConfig,
  memory: () => new Map(),

  onJoin(ctx) {
    const batches = ctx.memory
    let batch = batches.get(ctx.room.id)
    if (!batch) {
      batch = { members: [], memberCount: 0, timer: undefined }
      batches.set(ctx.room.id, batch)
    }
    for (const m of ctx.members) if (!batch.members.some((b) => b.id === m.id)) batch.members.push(m)
    batch.memberCount = ctx.memberCount
    if (ctx.config.batchSeconds === 0) return sendWelcome(ctx, batches)
    // the window opens with the first joiner and does not slide: the first one waits at most batchSeconds
    batch.timer ??= ctx.clock.after(ctx.config.batchSeconds * 1000, () => void sendWelcome(ctx, batches))
  },

  onLeave(ctx) {
    // someone who left before their welcome went out is not welcomed
    const batch = ctx.memory.get(ctx.room.id)
    if (batch) batch.members = batch.members.filter((m) => !ctx.members.some((l) => l.id === m.id))
  },
})

function sendWelcome(ctx: MembersContext<WelcomeConfig, WelcomeMemory>, batches: WelcomeMemory): Promise<void> {
  const batch = batches.get(ctx.room.id)
  batches.delete(ctx.room.id)
  if (!batch || batch.members.length === 0) return Promise.resolve()
  const names: Mention[] = batch.members.map((m) => ({ mention: m.id, name: m.name }))
  const segments = ctx.render(ctx.config.text, { names, topic: ctx.room.topic, count: batch.memberCount })
  ctx.log.info({ room: ctx.room.id, newcomers: names.length }, 'welcoming newcomers')
  // a very large batch can outgrow one message: split between mentions, never inside one
  return Promise.all(splitSegments(segments).map((part) => ctx.say(part, { mergeable: false, kind: 'owed' /* never dropped in a rush */ }))).then(() => undefined)
}
