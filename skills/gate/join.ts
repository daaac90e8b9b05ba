import { AWAY_RETRY_MS, isNotConnected } from '../../src/engine/actions.js'
import type { DirectContext, GroupContext, JobContext, SendOptions } from '../../src/engine/Skill.js'
import { checkRequirement, type RequirementResult } from '../../src/members/requirement.js'
import type { Sayable } from '../../src/text/Outgoing.js'
import type { GateConfig } from './config.js'
import { byTopic, chooseRoom, Invites, PENDING_MS, type RoomLoad } from './invites.js'

export interface GateMemory {
  /** When the admins were last told this group is full (one note per 10 minutes). */
  fullToldAt?: number
  /** Friend requests whose accept is on its way (brand scope). */
  accepting?: Set<string>
}

type Ctx = DirectContext<GateConfig, GateMemory>

/** Backoff between tries of a failed `room.add`; after the last, the admins are told. */
export const ADD_RETRY_MS = [60_000, 5 * 60_000, 30 * 60_000]
const FULL_NOTE_EVERY_MS = 10 * 60_000

export interface InviteJob {
  contactId: string
  name: string
  roomId: string
  topic: string
  attempt: number
  [k: string]: string | number
}

export function invites(ctx: GroupContext<GateConfig, GateMemory>): Invites {
  return new Invites(ctx.store)
}

/**
 * A private message asking to join this group: already in → alreadyReply; kept out by another
 * skill of the group (guard's blacklist) → barredReply; missing points or
 * tags → deniedReply; invited within 24 h → inviteReply again (no second invite); else a room
 * by `order` under `capacity` (members + pending invites), a durable invite job at the next
 * slot `invitesPerHour` allows, and inviteReply; no room with space → fullReply and a
 * private note to the admins.
 */
export async function askToJoin(ctx: Ctx): Promise<void> {
  const c = ctx.config
  const who = ctx.contact
  const rooms = byTopic(ctx.rooms())
  // read the rooms' members first (puppet calls); everything after is synchronous
  const members = await Promise.all(
    rooms.map((r) =>
      ctx.actions.roomMemberIds(r.id).catch((err: unknown) => {
        ctx.log.warn({ err, room: r.id }, 'could not read a room’s members; it is left out')
        return undefined
      }),
    ),
  )
  const now = ctx.clock.now()
  const book = invites(ctx)

  const inRoom = rooms.find((_, i) => members[i]?.includes(who.id))
  if (inRoom) {
    book.clear(who.id)
    void ctx.reply(ctx.render(c.alreadyReply, { name: who.name, topic: inRoom.topic }), { kind: 'info', coalesce: { key: 'gate:already' } })
    return
  }

  // removed from this group and on its blacklist (guard): no invite back into the loop of
  // join → removal that burns removalsPerHour; the reply says no reason
  const barred = ctx.keptOut(who.id)
  if (barred) {
    book.clear(who.id)
    ctx.log.info({ audit: true, action: 'invite refused', contact: who.id, by: barred.skill, why: barred.why }, 'asked to join, kept out by another skill; not invited')
    void ctx.reply(ctx.render(c.barredReply, { name: who.name }), { kind: 'info', coalesce: { key: 'gate:barred' } })
    return
  }

  const verdict = checkRequirement(
    c.require,
    { points: (pool) => ctx.points(pool).get(who.id)?.total ?? 0, tags: new Set(ctx.tags.names(who.id)) },
    ctx.pointsPool,
  )
  if (!verdict.ok) {
    ctx.log.info({ contact: who.id, missing: verdict }, 'asked to join, requirement not met')
    void ctx.reply(ctx.render(c.deniedReply, deniedVars(who.name, verdict, c, ctx.pointsPool, (pool) => ctx.points(pool).get(who.id)?.total ?? 0)), {
      kind: 'info',
      coalesce: { key: 'gate:denied' },
    })
    return
  }

  const pending = book.pendingOf(who.id, now)
  if (pending) {
    // invited before: nothing new is stored, the same answer again
    void ctx.reply(ctx.render(c.inviteReply, { name: who.name, topic: pending.topic }), { kind: 'info', coalesce: { key: 'gate:invited' } })
    return
  }

  const waiting = book.pendingByRoom(now)
  const loads: RoomLoad[] = []
  rooms.forEach((room, i) => {
    const ids = members[i]
    if (ids) loads.push({ room, count: ids.length + (waiting.get(room.id) ?? 0) })
  })
  const chosen = chooseRoom(loads, c.capacity, c.order)
  if (!chosen) {
    ctx.log.warn({ contact: who.id, rooms: loads.map((l) => [l.room.topic, l.count]) }, 'asked to join, every room is full')
    void ctx.reply(ctx.render(c.fullReply, { name: who.name }), { kind: 'info', coalesce: { key: 'gate:full' } })
    if (now - (ctx.memory.fullToldAt ?? -Infinity) >= FULL_NOTE_EVERY_MS) {
      ctx.memory.fullToldAt = now
      const shown = loads.map((l) => `${l.room.topic} ${l.count}/${c.capacity}`).join('，') || '还没有群'
      // nothing is stored (the member asks again): informational, and said again in 10 minutes while it lasts
      tellAdmins(ctx, `【门槛】分组「${ctx.group.name}」的群都满了（${shown}）。${who.name}（${who.id}）在等进群，请加新群或调大 capacity。`, {
        kind: 'info',
        coalesce: { key: `gate:full:${ctx.group.name}` },
      })
    }
    return
  }

  book.setPending(who.id, { roomId: chosen.room.id, topic: chosen.room.topic, name: who.name, at: now })
  // the member record: the join this invite brings is `via` the keyword (joined via, CONTRACT §11)
  ctx.roster.expectJoin(who.id, ctx.group.name, ctx.message.text)
  const at = book.takeSlot(now, c.invitesPerHour)
  const job: InviteJob = { contactId: who.id, name: who.name, roomId: chosen.room.id, topic: chosen.room.topic, attempt: 0 }
  ctx.jobs.plan(`invite:${who.id}`, at, job, { maxLateMs: PENDING_MS })
  ctx.log.info({ contact: who.id, room: chosen.room.id, count: chosen.count, at }, 'invite planned')
  void ctx.reply(ctx.render(c.inviteReply, { name: who.name, topic: chosen.room.topic }), { kind: 'owed' })
}

/** The invite job: `room.add` through the governor; a failure is retried, then reported. */
export async function runInvite(ctx: JobContext<GateConfig, GateMemory>): Promise<void> {
  const job = ctx.job.data as unknown as InviteJob
  const book = invites(ctx)
  const pending = book.pendingOf(job.contactId, ctx.clock.now())
  if (!pending || pending.roomId !== job.roomId) {
    ctx.log.info({ contact: job.contactId }, 'invite no longer pending (joined or expired); not sent')
    return
  }
  // blacklisted while the invite waited for its slot
  const barred = ctx.keptOut(job.contactId)
  if (barred) {
    book.clear(job.contactId)
    ctx.log.info({ audit: true, action: 'invite refused', contact: job.contactId, room: job.roomId, by: barred.skill, why: barred.why }, 'invite dropped: the contact is kept out now')
    return
  }
  try {
    await ctx.actions.addToRoom(job.roomId, job.contactId)
    ctx.log.info({ audit: true, action: 'invite', contact: job.contactId, room: job.roomId, topic: job.topic, attempt: job.attempt + 1 }, 'invited into a room')
  } catch (err) {
    if (isNotConnected(err)) {
      // the room's account is logged out, cut off or being taken over: no refusal, no try spent
      ctx.jobs.plan(`invite:${job.contactId}`, ctx.clock.now() + AWAY_RETRY_MS, job, { maxLateMs: PENDING_MS, wakeWhenOnline: true })
      ctx.log.info({ contact: job.contactId, room: job.roomId, reason: (err as Error).message }, 'invite waits for the room’s account to be back')
      return
    }
    const next = job.attempt + 1
    const wait = ADD_RETRY_MS[job.attempt]
    if (wait !== undefined) {
      ctx.log.warn({ err, contact: job.contactId, room: job.roomId, attempt: next }, 'invite failed; will retry')
      ctx.jobs.plan(`invite:${job.contactId}`, ctx.clock.now() + wait, { ...job, attempt: next }, { maxLateMs: PENDING_MS })
      return
    }
    book.clear(job.contactId)
    const reason = (err as Error).message
    ctx.log.error({ audit: true, action: 'invite failed', err, contact: job.contactId, room: job.roomId, attempts: next }, 'invite failed every retry; admins told')
    tellAdmins(ctx, `【门槛】邀请 ${job.name}（${job.contactId}）进「${job.topic}」失败 ${next} 次：${reason}。请手动拉人。`, { kind: 'owed' })
  }
}

export function tellAdmins(
  ctx: GroupContext<unknown, unknown> | { bot: { admins: string[] }; tell(id: string, what: Sayable, options: SendOptions): Promise<void> },
  text: string,
  options: SendOptions,
): void {
  for (const admin of ctx.bot.admins) void ctx.tell(admin, text, options)
}

function deniedVars(name: string, v: RequirementResult, c: GateConfig, defaultPool: string, points: (pool: string) => number) {
  const pool = c.require?.points?.pool ?? defaultPool
  // what is lacking, as nouns: templates say the verb (`还差：{missing}`), so it is never said twice
  const missing: string[] = []
  if (v.points) missing.push(`${v.points.missing} 积分（需要 ${v.points.need}，现在 ${v.points.have}）`)
  if (v.tags.length > 0) missing.push(`标签「${v.tags.join('、')}」`)
  return {
    name,
    points: v.points?.have ?? points(pool),
    need: c.require?.points?.min ?? 0,
    tags: v.tags.join('、'),
    missing: missing.join('；'),
  }
}
