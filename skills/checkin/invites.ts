import type { GroupContext, JobContext, MembersContext, MessageContext, SendOptions } from '../../src/engine/Skill.js'
import { segment, unsegment, type Namespace } from '../../src/store/Store.js'
import type { Segment } from '../../src/text/Outgoing.js'
import type { CheckinConfig } from './config.js'

/**
 * Invite points (拉新积分, CONTRACT §12): when a member adds someone to a room (the room-join
 * inviter in the member record, ctx.roster), the inviter gets `points` once the invitee has
 * stayed `keepDays` — a durable job per invitee, so a restart changes nothing. Nothing for:
 * an invitee who leaves before (their leave cancels it; the job checks again), one who had
 * been in the group before (a rejoin, or already in another of its rooms), one the bot itself
 * added (gate) or whose join was only found by comparing member lists (no inviter known),
 * and never twice for one invitee in a pool. Points go through the pool's ledger (reason
 * `invite`), so leaderboards and rule tags follow; `邀请榜` lists the top inviters.
 *
 * Records, in the pool (`checkin/pool:<p>/invites/`): `pending/<invitee>` until the job,
 * `credited/<bucket>/<invitee>` (inviter, when: never paid twice), `by/<bucket>/<inviter>`
 * (how many invitees stayed, for 邀请榜).
 */
export interface PendingInvite {
  inviter: string
  group: string
  room: string
  joinedAt: number
  due: number
}

export interface CreditedInvite {
  inviter: string
  group: string
  at: number
}

export interface InviterRow {
  name: string
  count: number
  /** When the count was reached (an earlier reach ranks first on a tie). */
  reachedAt: number
}

const DAY_MS = 24 * 3_600_000

type Ctx = GroupContext<CheckinConfig>

export const inviteJob = (invitee: string): string => `invite:${invitee}`

function ns(ctx: Ctx, pool: string): Namespace {
  return ctx.pool(pool).child('invites')
}
const pendingKey = (invitee: string): string => `pending/${segment(invitee)}`
const credited = (root: Namespace) => root.table<CreditedInvite>('credited')
const byInviter = (root: Namespace) => root.table<InviterRow>('by')

/** Was the contact in this group before this join (another room of it, an earlier stint, present when first listed)? */
function wasInGroupBefore(ctx: Ctx, contactId: string, roomId: string): boolean {
  const row = ctx.roster.get(contactId)
  if (!row) return false
  for (const s of row.rooms) {
    if (s.group !== ctx.group.name) continue
    if (s.room !== roomId) return true
    if (s.joins > 1 || s.leftAt !== undefined) return true
  }
  return row.events.some((e) => e.kind === 'present' && e.group === ctx.group.name)
}

/** New members of a room: an invite each, when a member invited them into this group for the first time. */
export function noteJoins(ctx: MembersContext<CheckinConfig>, pool: string): void {
  const inv = ctx.config.invites!
  const root = ns(ctx, pool)
  for (const m of ctx.members) {
    const standing = ctx.roster.get(m.id)?.rooms.find((s) => s.room === ctx.room.id)
    const inviter = standing?.inviterId
    const log = ctx.log.child({ invitee: m.id, inviter, room: ctx.room.id })
    if (!inviter || inviter === m.id || standing?.joinedAt === undefined) continue
    if (wasInGroupBefore(ctx, m.id, ctx.room.id)) {
      log.debug('invitee had been in the group before (a rejoin): no invite points')
      continue
    }
    if (root.get(pendingKey(m.id)) || credited(root).get(m.id)) {
      log.debug('invitee already counted in this pool: no second invite')
      continue
    }
    const due = standing.joinedAt + inv.keepDays * DAY_MS
    root.set<PendingInvite>(pendingKey(m.id), { inviter, group: ctx.group.name, room: ctx.room.id, joinedAt: standing.joinedAt, due })
    // late after downtime is fine: the points are owed whenever the bot is back
    ctx.jobs.plan(inviteJob(m.id), due, { invitee: m.id, pool }, { maxLateMs: Number.MAX_SAFE_INTEGER })
    log.debug({ due }, 'invite noted')
  }
}

/** An invitee who leaves before keepDays earns their inviter nothing. */
export function noteLeaves(ctx: MembersContext<CheckinConfig>, pool: string): void {
  const root = ns(ctx, pool)
  for (const m of ctx.members) {
    const p = root.get<PendingInvite>(pendingKey(m.id))
    if (!p || p.group !== ctx.group.name) continue
    root.delete(pendingKey(m.id))
    ctx.jobs.forget(inviteJob(m.id))
    ctx.log.info({ invitee: m.id, inviter: p.inviter, days: Math.floor((ctx.clock.now() - p.joinedAt) / DAY_MS) }, 'invitee left before keepDays: no invite points')
  }
}

/** The invite's job: credit the inviter when the invitee is still in (the same stint), once. */
export function inviteDue(ctx: JobContext<CheckinConfig>): void {
  const { invitee, pool } = ctx.job.data as { invitee: string; pool: string }
  const root = ns(ctx, pool)
  const p = root.get<PendingInvite>(pendingKey(invitee))
  root.delete(pendingKey(invitee))
  ctx.jobs.forget(ctx.job.id)
  if (!p || credited(root).get(invitee)) return
  const ms = ctx.roster.membership(invitee, p.group)
  const stayed = ms?.in === true && (ms.leftAt === undefined || ms.leftAt < p.joinedAt)
  if (!stayed) {
    ctx.log.info({ invitee, inviter: p.inviter }, 'invitee is no longer in the group: no invite points')
    return
  }
  const inv = ctx.config.invites
  if (!inv) return
  const now = ctx.clock.now()
  const name = ctx.roster.get(p.inviter)?.name ?? p.inviter
  credited(root).set(invitee, { inviter: p.inviter, group: p.group, at: now })
  const old = byInviter(root).get(p.inviter)
  byInviter(root).set(p.inviter, { name, count: (old?.count ?? 0) + 1, reachedAt: now })
  ctx.points(pool).change(p.inviter, inv.points, 'invite', { now, day: ctx.time.dayKey(now), group: p.group, room: p.room, note: `an invitee stayed ${inv.keepDays} days`, name })
  ctx.log.info({ audit: true, action: 'invite points', inviter: p.inviter, invitee, points: inv.points }, 'invite points credited')
  if (inv.creditText && ctx.rooms().some((r) => r.id === p.room)) {
    const inviteeName = ctx.roster.get(invitee)?.name ?? invitee
    const text = ctx.render(inv.creditText, { inviter: [{ mention: p.inviter, name }], invitee: inviteeName, days: inv.keepDays, points: inv.points })
    void ctx.sayIn(p.room, text, { kind: 'scheduled' })
  }
}

/** 邀请榜: the top inviters of the pool (informational, one per room while it waits). */
export function inviteBoard(ctx: MessageContext<CheckinConfig>, pool: string): true {
  const inv = ctx.config.invites!
  const rows = byInviter(ns(ctx, pool)).rows()
  rows.sort(([aId, a], [bId, b]) => b.count - a.count || a.reachedAt - b.reachedAt || (aId < bId ? -1 : 1))
  const top = rows.slice(0, inv.rankTop)
  const options: SendOptions = { kind: 'info', mergeable: false, coalesce: { key: 'checkin:invites', asker: ctx.talker } }
  if (top.length === 0) {
    void ctx.say(ctx.render(inv.rankEmpty, { days: inv.keepDays, points: inv.points }), options)
    return true
  }
  const lines: Segment[] = [...ctx.render(inv.rankTitle, { top: inv.rankTop })]
  top.forEach(([, r], i) => lines.push('\n', ...ctx.render(inv.rankLine, { rank: i + 1, name: r.name, count: r.count })))
  void ctx.say(lines, options)
  return true
}

/** Forget: the contact as invitee (pending, credited) and as inviter (their row; pending invites they made). */
export function forgetInvites(ctx: Ctx, pool: string, contactId: string, anonymousId: string): void {
  const root = ns(ctx, pool)
  if (root.get(pendingKey(contactId))) {
    root.delete(pendingKey(contactId))
    ctx.jobs.forget(inviteJob(contactId))
  }
  credited(root).delete(contactId)
  const row = byInviter(root).get(contactId)
  if (row) {
    byInviter(root).delete(contactId)
    byInviter(root).set(anonymousId, { ...row, name: anonymousId })
  }
  for (const [invitee, c] of credited(root).rows()) if (c.inviter === contactId) credited(root).set(invitee, { ...c, inviter: anonymousId })
  // invites still waiting have nobody left to credit
  for (const [key, p] of root.entries<PendingInvite>('pending/')) {
    if (p.inviter !== contactId) continue
    root.delete(key)
    ctx.jobs.forget(inviteJob(unsegment(key.slice('pending/'.length))))
  }
}

export function exportInvites(ctx: Ctx, pool: string, contactId: string): unknown {
  const root = ns(ctx, pool)
  const asInvitee = root.get<PendingInvite>(pendingKey(contactId)) ?? credited(root).get(contactId)
  const invited = credited(root)
    .rows()
    .filter(([, c]) => c.inviter === contactId)
    .map(([invitee, c]) => ({ invitee, at: c.at, group: c.group }))
  const pending = root
    .entries<PendingInvite>('pending/')
    .filter(([, p]) => p.inviter === contactId)
    .map(([key, p]) => ({ invitee: unsegment(key.slice('pending/'.length)), joinedAt: p.joinedAt, due: p.due }))
  return { invitedBy: asInvitee?.inviter, invited, pending, count: byInviter(root).get(contactId)?.count ?? 0 }
}

