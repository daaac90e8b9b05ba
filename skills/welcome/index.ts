import { z } from 'zod'
import { DEFAULT_MAX_LATE_MS } from '../../src/engine/jobs.js'
import { defineSkill, type GroupContext, type Member } from '../../src/engine/Skill.js'
import { segment } from '../../src/store/Store.js'
import { splitSegments, type Mention } from '../../src/text/Outgoing.js'
import { reply } from '../../src/config/reply.js'

/**
 * welcome — the entry ritual. Everyone who joins within `batchSeconds` of the first joiner
 * gets ONE welcome that @s them all: fifty people joining at once is one message, not fifty
 * (groups call per-join welcomes spam). The core already drops the bot's own joining and a
 * join the puppet reports twice, and counts joins and leaves for #stats.
 *
 * A batch waiting for its window is owed: it is a record in the store
 * (`welcome/group:<g>/pending/<room>`) with a durable job (ctx.jobs) as its alarm, written
 * together in the join's handler. After a crash or a restart inside the window the new
 * process sends it once when the job falls due — late by at most 10 minutes (the contract's
 * bound for anything owed across downtime), else it is dropped with a log line.
 */
export const WelcomeConfig = z.strictObject({
  text: reply(['names', 'topic', 'count'], 'The welcome; {names} becomes real @mentions.').prefault(
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

/** The newcomers of one room waiting for their welcome. */
export interface PendingBatch {
  room: string
  /** The room's topic when the batch opened (used if the room is not known at sending). */
  topic: string
  members: Member[]
  memberCount: number
  due: number
}

const pendingKey = (roomId: string): string => `pending/${segment(roomId)}`
const jobId = (roomId: string): string => `batch:${roomId}`

export const WelcomeSkill = defineSkill<WelcomeConfig>({
  name: 'welcome',
  description: 'the entry ritual: one welcome that @s every newcomer of a batch',
  config: WelcomeConfig,

  onJoin(ctx) {
    // a join the puppet did not announce, found by comparing the member list: welcomed only
    // when it surely happened within the last 10 minutes (a welcome's lateness bound)
    if (ctx.found && (ctx.found.from === undefined || ctx.clock.now() - ctx.found.from > DEFAULT_MAX_LATE_MS)) {
      ctx.log.info({ room: ctx.room.id, newcomers: ctx.members.length, since: ctx.found.from }, 'joins found by reconciling, too long ago to welcome')
      return
    }
    if (ctx.config.batchSeconds === 0) {
      const batch: PendingBatch = { room: ctx.room.id, topic: ctx.room.topic, members: [...ctx.members], memberCount: ctx.memberCount, due: ctx.clock.now() }
      // not awaited: the room's next events need not wait for the rate limits (a welcome with media is several messages)
      void sendWelcome(ctx, batch, ctx.room.topic)
      return
    }
    const key = pendingKey(ctx.room.id)
    let batch = ctx.store.get<PendingBatch>(key)
    if (batch && ctx.jobs.get(jobId(ctx.room.id))?.state !== 'planned') {
      dropBatch(ctx, batch, 'its time passed while the bot was down')
      batch = undefined
    }
    if (!batch) {
      // the window opens with the first joiner and does not slide: the first one waits at most batchSeconds
      const due = ctx.clock.now() + ctx.config.batchSeconds * 1000
      batch = { room: ctx.room.id, topic: ctx.room.topic, members: [], memberCount: 0, due }
      // the skill judges lateness itself (onJob), so a batch too late is dropped and cleared at once
      ctx.jobs.plan(jobId(ctx.room.id), due, { room: ctx.room.id }, { maxLateMs: Number.MAX_SAFE_INTEGER })
    }
    const members = [...batch.members]
    for (const m of ctx.members) if (!members.some((b) => b.id === m.id)) members.push(m)
    ctx.store.set<PendingBatch>(key, { ...batch, members, memberCount: ctx.memberCount })
  },

  onLeave(ctx) {
    // someone who left before their welcome went out is not welcomed
    ctx.store.update<PendingBatch>(pendingKey(ctx.room.id), (b) => b && { ...b, members: b.members.filter((m) => !ctx.members.some((l) => l.id === m.id)) })
  },

  onJob(ctx) {
    const roomId = (ctx.job.data as { room: string }).room
    const key = pendingKey(roomId)
    const batch = ctx.store.get<PendingBatch>(key)
    // taken out of the store in the same turn the job is marked fired: it goes out at most once
    ctx.store.delete(key)
    ctx.jobs.forget(ctx.job.id)
    if (!batch || batch.members.length === 0) return
    const lateMs = ctx.clock.now() - batch.due
    if (lateMs > DEFAULT_MAX_LATE_MS) return dropBatch(ctx, batch, `it is ${Math.round(lateMs / 60_000)} minutes late (the bot was down); at most 10 are allowed`)
    const room = ctx.rooms().find((r) => r.id === roomId)
    if (!room) return dropBatch(ctx, batch, 'the bot is no longer in that room')
    return sendWelcome(ctx, batch, room.topic)
  },

  // the member's data rights (CONTRACT §11): a newcomer forgotten before their welcome is left out of it
  forgetMember(ctx, contactId) {
    for (const [key, batch] of ctx.store.entries<PendingBatch>('pending/')) {
      if (batch.members.some((m) => m.id === contactId)) ctx.store.set<PendingBatch>(key, { ...batch, members: batch.members.filter((m) => m.id !== contactId) })
    }
  },

  sweep(ctx) {
    // a batch that lost its job (none should): dropped, said once
    for (const [key, batch] of ctx.store.entries<PendingBatch>('pending/')) {
      if (ctx.jobs.get(jobId(batch.room))?.state === 'planned') continue
      ctx.store.delete(key)
      ctx.jobs.forget(jobId(batch.room))
      dropBatch(ctx, batch, 'its job is gone')
    }
  },
})

function dropBatch(ctx: GroupContext<WelcomeConfig>, batch: PendingBatch, why: string): void {
  ctx.log.warn({ room: batch.room, newcomers: batch.members.length, dueAt: new Date(batch.due).toISOString() }, `a welcome was not sent: ${why}`)
}

function sendWelcome(ctx: GroupContext<WelcomeConfig>, batch: PendingBatch, topic: string): Promise<void> {
  if (batch.members.length === 0) return Promise.resolve()
  const names: Mention[] = batch.members.map((m) => ({ mention: m.id, name: m.name }))
  const segments = ctx.render(ctx.config.text, { names, topic, count: batch.memberCount })
  ctx.log.info({ room: batch.room, newcomers: names.length }, 'welcoming newcomers')
  // a very large batch can outgrow one message: split between mentions, never inside one
  // owed (the batch is stored; never dropped in a rush), and each part alone: it @s up to 20 newcomers
  return Promise.all(splitSegments(segments).map((part) => ctx.sayIn(batch.room, part, { kind: 'owed', mergeable: false, because: 'mentions' }))).then(() => undefined)
}
