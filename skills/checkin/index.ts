import type { Timer } from '../../src/clock/Clock.js'
import { defineSkill, type MessageContext, type SendOptions } from '../../src/engine/Skill.js'
import type { Segment } from '../../src/text/Outgoing.js'
import { uses } from '../../src/text/template.js'
import { CheckinConfig } from './config.js'
import type { PointsBook } from '../../src/members/PointsBook.js'
import { countActivity, exportActivity, forgetActivity, sweepActivity } from './activity.js'
import { exportInvites, forgetInvites, inviteBoard, inviteDue, noteJoins, noteLeaves } from './invites.js'

/**
 * checkin — daily check-in points (签到积分). The trigger is the whole trimmed message; a
 * day ends at midnight in bot.timezone; missing a day resets the streak to 1; a streak
 * bonus is paid on the day the streak reaches N. Points live in a pool (default: the
 * group's name) that several groups may share; members are keyed by contact id, so a
 * rename keeps the points. Every change of points is a ledger entry.
 *
 * The confirmation is said only after the check-in is on disk (ctx.say waits for the store).
 */
interface PendingConfirmations {
  lines: Segment[][]
  timer: Timer
}

type CheckinMemory = Map<string, PendingConfirmations>

export const CheckinSkill = defineSkill<CheckinConfig, CheckinMemory>({
  name: 'checkin',
  description: 'daily check-in points with streaks, a shared pool and a leaderboard',
  config: CheckinConfig,
  memory: () => new Map(),

  summary(config) {
    const bonus = [...config.streakBonus].map(([d, p]) => `${d}天+${p}`).join(', ')
    const lines = [`${config.triggers.join('/')} → +${config.points}${bonus ? ` (bonus ${bonus})` : ''}, pool ${config.pool ?? '(group name)'}`]
    const a = config.activity
    if (a) lines.push(`activity: +${a.points} per message of ${a.minLength}+ characters, once per ${Math.round(a.cooldown / 1000)}s, at most ${a.dailyCap} a day`)
    const i = config.invites
    if (i) lines.push(`invites: +${i.points} to the inviter once the invitee stayed ${i.keepDays} days; ${i.rankTriggers.join('/')}`)
    return lines
  },

  takes: (c, text) => c.triggers.includes(text) || c.rankTriggers.includes(text) || c.meTriggers.includes(text) || (c.invites?.rankTriggers.includes(text) ?? false),

  onMessage(ctx) {
    const text = ctx.message.text
    const c = ctx.config
    if (c.triggers.includes(text)) return checkIn(ctx)
    if (c.rankTriggers.includes(text)) return leaderboard(ctx)
    if (c.meTriggers.includes(text)) return myPoints(ctx)
    if (c.invites?.rankTriggers.includes(text)) return inviteBoard(ctx, poolOf(ctx))
    // speaking earns activity points, silently; the message goes on to the other skills
    if (c.activity) {
      const outcome = countActivity(ctx, poolOf(ctx))
      if (outcome === 'earned') ctx.log.debug({ member: ctx.talker.id, points: c.activity.points }, 'activity points')
    }
    return false
  },

  onJoin(ctx) {
    if (ctx.config.invites) noteJoins(ctx, poolOf(ctx))
  },

  onLeave(ctx) {
    // also when invites were turned off meanwhile: a pending invite never outlives a leave
    noteLeaves(ctx, poolOf(ctx))
  },

  onJob(ctx) {
    if (ctx.job.id.startsWith('invite:')) inviteDue(ctx)
  },

  sweep(ctx) {
    if (!ctx.config.activity) return
    const today = ctx.time.dayKey(ctx.clock.now())
    sweepActivity(ctx.pool(poolOf(ctx)), today, ctx.time.previousDay(today))
  },

  forgetMember(ctx, contactId, anonymousId) {
    // the points themselves (rows, ledger) belong to the members' core (src/members): here what checkin adds
    forgetActivity(ctx.pool(poolOf(ctx)), contactId)
    forgetInvites(ctx, poolOf(ctx), contactId, anonymousId)
  },

  exportMember(ctx, contactId) {
    return { activity: exportActivity(ctx.pool(poolOf(ctx)), contactId), invites: exportInvites(ctx, poolOf(ctx), contactId) }
  },
})

/** The pool this group's points go to (checkin.pool, else the group's name). */
function poolOf(ctx: { config: CheckinConfig; group: { name: string } }): string {
  return ctx.config.pool ?? ctx.group.name
}

type Ctx = MessageContext<CheckinConfig, CheckinMemory>

/** Through ctx.points (the same `checkin/pool:<name>/`), so rule tags hear of every change. */
function book(ctx: Ctx): PointsBook {
  return ctx.points(ctx.config.pool ?? ctx.group.name)
}

async function checkIn(ctx: Ctx): Promise<true> {
  const now = ctx.clock.now()
  const day = ctx.time.dayKey(now)
  const points = book(ctx)
  // read-modify-write without an await in between: no check-in is counted twice or lost
  const r = points.checkIn({
    memberId: ctx.talker.id,
    name: ctx.talker.name,
    day,
    yesterday: ctx.time.previousDay(day),
    now,
    points: ctx.config.points,
    bonusForStreak: (streak) => ctx.config.streakBonus.get(streak) ?? 0,
    group: ctx.group.name,
    room: ctx.room.id,
  })
  const template = r.already ? ctx.config.alreadyReply : ctx.config.reply
  // stored above, in this turn; only the reply's {rank} may wait for the order right after a start
  const rank = uses(template, 'rank') ? await points.rankSoon(ctx.talker.id) : undefined
  if (!r.already) {
    ctx.count('checkins')
    ctx.log.debug({ member: ctx.talker.id, earned: r.earned, total: r.row.total, streak: r.row.streak }, 'checked in')
  }
  const line = ctx.render(template, {
    name: ctx.talker.name,
    points: r.already ? undefined : r.earned,
    streak: r.row.streak,
    total: r.row.total,
    rank,
  })
  // a check-in is owed its confirmation; "already checked in" is informational, and a member
  // repeating 签到 gets one such reply while it waits
  if (r.already) void ctx.say(line, { kind: 'info', coalesce: { key: `checkin:already:${ctx.talker.id}` } })
  else confirm(ctx, line)
  return true
}

function leaderboard(ctx: Ctx): true {
  const top = book(ctx).top(ctx.config.rankTop)
  if (top.length === 0) {
    void ctx.say(ctx.render(ctx.config.rankEmpty, {}), rankReply(ctx))
    return true
  }
  const lines: Segment[] = [...ctx.render(ctx.config.rankTitle, { top: ctx.config.rankTop })]
  for (const t of top) lines.push('\n', ...ctx.render(ctx.config.rankLine, { rank: t.rank, name: t.row.name, total: t.row.total }))
  void ctx.say(lines, rankReply(ctx))
  return true
}

/** The leaderboard is one reply per room while it waits, @-ing everyone who asked; a list stands alone. */
function rankReply(ctx: Ctx): SendOptions {
  return { kind: 'info', mergeable: false, coalesce: { key: 'checkin:rank', asker: ctx.talker } }
}

async function myPoints(ctx: Ctx): Promise<true> {
  const points = book(ctx)
  // a read only: it may wait for the order being built after a start (this room waits, no other),
  // then reads the row and its rank as they are
  if (points.get(ctx.talker.id)) await points.rankSoon(ctx.talker.id)
  const row = points.get(ctx.talker.id)
  const text = row
    ? ctx.render(ctx.config.meReply, { name: ctx.talker.name, total: row.total, rank: points.rank(ctx.talker.id), streak: row.streak })
    : ctx.render(ctx.config.meNone, { name: ctx.talker.name })
  void ctx.say(text, { kind: 'info', coalesce: { key: `checkin:me:${ctx.talker.id}` } })
  return true
}

/** Say now, or (batchSeconds > 0) gather this room's confirmations into one message. */
function confirm(ctx: Ctx, line: Segment[]): void {
  const seconds = ctx.config.batchSeconds
  if (seconds === 0) {
    void ctx.say(line, { kind: 'owed' })
    return
  }
  const pending = ctx.memory.get(ctx.room.id)
  if (pending) {
    pending.lines.push(line)
    return
  }
  const timer = ctx.clock.after(seconds * 1000, () => {
    const batch = ctx.memory.get(ctx.room.id)
    ctx.memory.delete(ctx.room.id)
    if (!batch) return
    const merged: Segment[] = []
    batch.lines.forEach((l, i) => merged.push(...(i > 0 ? ['\n'] : []), ...l))
    void ctx.say(merged, { kind: 'owed' })
  })
  ctx.memory.set(ctx.room.id, { lines: [line], timer })
}
