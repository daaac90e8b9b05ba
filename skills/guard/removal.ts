import { AWAY_RETRY_MS, isNotConnected } from '../../src/engine/actions.js'
import type { GroupContext, JobContext, Member, RoomRef } from '../../src/engine/Skill.js'
import { humanDurationZh } from '../../src/time/duration.js'
import { RULE_NAMES, type GuardConfig, type RuleName } from './config.js'
import { GuardBook, type PendingRemoval } from './GuardBook.js'

const HOUR = 3600_000
import type { Windows } from './detect.js'

/** guard's working memory for one group. */
export interface GuardMemory {
  windows: Windows
  /** Removal jobs on their way (between the job firing and the puppet's answer). */
  running: Set<string>
  /** The group's book (stateless over the store: made once per group, not per message). */
  book?: GuardBook
}

export type GuardCtx = GroupContext<GuardConfig, GuardMemory>

export function bookOf(ctx: GuardCtx): GuardBook {
  return (ctx.memory.book ??= new GuardBook(ctx.store))
}

/** A removal (or a failed one) is recorded before the admins are told: owed, merged when several wait. */
export function tellAdmins(ctx: GuardCtx, text: string): void {
  for (const admin of ctx.bot.admins) void ctx.tell(admin, text, { kind: 'owed' })
}

export interface RemovalCause {
  rule: RuleName
  strikes: number
  evidence: string
  type: string
}

/**
 * Decide to remove a member from a room: blacklisted (when `blacklist`), marked as on the
 * way out (their messages are swallowed meanwhile), and a durable job at the next slot
 * `removalsPerHour` allows — it survives a restart, and the ActionGovernor paces it further.
 * A member already on the way out of this room is not planned twice.
 */
export function planRemoval(ctx: GuardCtx, who: Member, room: RoomRef, cause: RemovalCause): void {
  const book = bookOf(ctx)
  if (book.removing(who.id, room.id)) return
  const now = ctx.clock.now()
  const c = ctx.config
  if (c.blacklist) book.ban(who.id, { name: who.name, at: now, rule: cause.rule, roomId: room.id, topic: room.topic })
  // strikes led to one removal; a member let back in (pardon, or no blacklist) starts afresh
  book.clearStrikes(who.id)
  ctx.memory.windows.forget(who.id)
  const at = book.takeSlot(now, c.removalsPerHour)
  const p: PendingRemoval = {
    contactId: who.id,
    name: who.name,
    roomId: room.id,
    topic: room.topic,
    rule: cause.rule,
    strikes: cause.strikes,
    evidence: cause.evidence,
    type: cause.type,
    decidedAt: now,
  }
  book.setRemoving(p)
  ctx.jobs.plan(removalJobId(who.id, room.id), at, p, { maxLateMs: c.window })
  if (at > now) ctx.log.warn({ contact: who.id, room: room.id, at, waitMs: at - now }, 'removal waits for its turn (removalsPerHour)')
  else ctx.log.info({ contact: who.id, room: room.id, rule: cause.rule }, 'removal planned')
}

export function removalJobId(contactId: string, roomId: string): string {
  return `remove:${contactId}:${roomId}`
}

/**
 * At start (and reload): a removal decided but whose job is gone (the bot stopped while it
 * was running) is planned again now. Removing someone already gone fails harmlessly and is
 * reported; never removing a member who earned it is worse.
 */
export function resumeRemovals(ctx: GuardCtx): number {
  const book = bookOf(ctx)
  let n = 0
  for (const p of book.allRemoving()) {
    const id = removalJobId(p.contactId, p.roomId)
    if (ctx.memory.running.has(id) || ctx.jobs.get(id)?.state === 'planned') continue
    ctx.jobs.forget(id) // a fired record is not planned again at the same time otherwise
    ctx.jobs.plan(id, ctx.clock.now(), p, { maxLateMs: ctx.config.window })
    n++
  }
  if (n > 0) ctx.log.warn({ removals: n }, 'removals interrupted by a stop are tried again')
  return n
}

/**
 * The removal job: `room.remove(contact)` through the governor. Done: removeText in the room,
 * each admin a private report with the evidence. Refused by WeChat (the bot is not the room's
 * owner or an admin, 操作太频繁...): each admin a private report instead, and no retry — a
 * retry storm is what gets an account restricted; the blacklist still holds if they come back.
 * Not done because the room's account is away (logged out, cut off, a takeover's grace, this
 * process not holding the lease): no refusal — it stays owed and is tried again when the
 * account is back (NotConnectedError, AWAY_RETRY_MS).
 */
export async function runRemoval(ctx: JobContext<GuardConfig, GuardMemory>): Promise<void> {
  const p = ctx.job.data as unknown as PendingRemoval
  if (!bookOf(ctx).removing(p.contactId, p.roomId)) {
    ctx.jobs.forget(ctx.job.id)
    ctx.log.info({ contact: p.contactId, room: p.roomId }, 'removal no longer wanted (pardoned or left); not sent')
    return
  }
  // removalsPerHour holds for removals as they happen, not only as planned: the governor's
  // pacing can push planned ones together. So count those that reached WeChat in the last
  // hour plus those on their way, and wait for the oldest to leave the hour if there is no room.
  const now = ctx.clock.now()
  const done = bookOf(ctx).removedWithin(now, HOUR)
  const limit = ctx.config.removalsPerHour
  if (done.length + ctx.memory.running.size >= limit) {
    const oldest = done[done.length + ctx.memory.running.size - limit]
    const at = Math.max(oldest === undefined ? now + 60_000 : oldest + HOUR + 1, now + 1000)
    ctx.jobs.plan(ctx.job.id, at, p, { maxLateMs: ctx.config.window })
    ctx.log.info({ contact: p.contactId, room: p.roomId, at }, 'removal waits: removalsPerHour reached')
    return
  }
  let failure: string | undefined
  ctx.memory.running.add(ctx.job.id)
  try {
    await ctx.actions.removeFromRoom(p.roomId, p.contactId)
  } catch (err) {
    if (isNotConnected(err)) {
      // the room's account is logged out, cut off or being taken over: WeChat refused nothing.
      // The removal stays owed (durably: its job and the book's record) and goes when it is back.
      ctx.memory.running.delete(ctx.job.id)
      ctx.jobs.plan(ctx.job.id, ctx.clock.now() + AWAY_RETRY_MS, p, { maxLateMs: ctx.config.window, wakeWhenOnline: true })
      ctx.log.info({ contact: p.contactId, room: p.roomId, reason: (err as Error).message }, 'removal waits for the room’s account to be back')
      return
    }
    failure = (err as Error).message || String(err)
  } finally {
    ctx.memory.running.delete(ctx.job.id)
  }
  ctx.jobs.forget(ctx.job.id)
  // read again after the await: a pardon may have come meanwhile (it is reported either way)
  const book = bookOf(ctx)
  const at = ctx.clock.now()
  book.noteRemoval(at)
  book.clearRemoving(p.contactId, p.roomId)
  const rule = RULE_NAMES[p.rule]
  const why = `原因：${rule}${p.strikes > 0 ? `（${humanDurationZh(ctx.config.window)}内第 ${p.strikes} 次违规）` : ''}`
  const evidence = `证据（${p.type}）：${p.evidence}`
  const where = `「${p.topic}」（分组 ${ctx.group.name}）`
  if (failure !== undefined) {
    book.record({ at, action: 'removal failed', contactId: p.contactId, name: p.name, rule: p.rule, roomId: p.roomId, topic: p.topic, evidence: p.evidence, type: p.type, reason: failure })
    ctx.log.error(
      { audit: true, action: 'guard removal failed', contact: p.contactId, room: p.roomId, rule: p.rule, reason: failure },
      'removal failed; admins told',
    )
    tellAdmins(ctx, `【防骚扰】未能把 ${p.name}（${p.contactId}）移出${where}：${failure}\n机器人需要是群主或群管理员，请手动移出。\n${why}\n${evidence}`)
    return
  }
  book.record({ at, action: 'removal', contactId: p.contactId, name: p.name, rule: p.rule, roomId: p.roomId, topic: p.topic, evidence: p.evidence, type: p.type })
  ctx.log.info({ audit: true, action: 'guard removal', contact: p.contactId, room: p.roomId, rule: p.rule, strikes: p.strikes, type: p.type }, 'member removed')
  void ctx.sayIn(p.roomId, ctx.render(ctx.config.removeText, { name: p.name, rule }), { kind: 'owed' })
  tellAdmins(ctx, `【防骚扰】已把 ${p.name}（${p.contactId}）移出${where}\n${why}\n${evidence}`)
}
