import { DateTime } from 'luxon'
import { defineSkill, type GroupContext } from '../../src/engine/Skill.js'
import type { SilentMember } from '../../src/members/MemberDirectory.js'
import { segment } from '../../src/store/Store.js'
import { splitSegments, type Mention } from '../../src/text/Outgoing.js'
import { NudgeConfig } from './config.js'

/**
 * nudge — 沉默成员 (CONTRACT §12): who has gone quiet, before they leave. On a daily or weekly
 * schedule the admins get, privately, the members of the group who have not spoken for
 * `silentDays` (from the member record, ctx.roster); with `remind`, those members are @-ed in
 * their room, at most `remind.max` per room and week (a durable count) and each at most once
 * per `silentDays`. It never removes anyone: nobody leaves for silence unless guard says so.
 *
 * Who counts as silent: in a room of the group now, not an admin, known to the bot for at
 * least `silentDays` (right after the bot is installed it cannot tell), and no message in the
 * group since (never spoke: joined before then).
 */
type Ctx = GroupContext<NudgeConfig>

const REPORT = 'report'
const DAY_MS = 24 * 3_600_000
/** A report whose time passed while the bot was down is still sent this late. */
export const REPORT_MAX_LATE_MS = 3 * 3_600_000
/** Weekly counts are kept this long, then swept. */
const WEEKS_KEPT = 5

export const NudgeSkill = defineSkill<NudgeConfig>({
  name: 'nudge',
  description: 'members silent for N days: a list to the admins privately, an optional @ in the room (沉默成员)',
  config: NudgeConfig,

  summary(c) {
    const when = c.report === 'daily' ? `daily ${c.at}` : `weekly, day ${c.weekday} ${c.at}`
    return [`silent ${c.silentDays}+ days → admins (${when})${c.remind ? `; @ in the room, ≤${c.remind.max}/week per room` : ''}; never removes anyone`]
  },

  onStart(ctx) {
    const now = ctx.clock.now()
    const at = nextReport(ctx, now)
    const job = ctx.jobs.get(REPORT)
    // one that fell due while the bot was down is left to run when still within its bound; else (and when the schedule changed) the next
    if (job?.state === 'planned' && (job.at === at || (job.at <= now && now - job.at <= REPORT_MAX_LATE_MS))) return
    ctx.jobs.plan(REPORT, at, null, { maxLateMs: REPORT_MAX_LATE_MS })
  },

  onJob(ctx) {
    if (ctx.job.id !== REPORT) return
    ctx.jobs.plan(REPORT, nextReport(ctx, ctx.clock.now()), null, { maxLateMs: REPORT_MAX_LATE_MS })
    const silent = silentMembers(ctx)
    report(ctx, silent)
    if (ctx.config.remind) remind(ctx, silent)
  },

  sweep(ctx) {
    const oldest = weekKey(ctx, ctx.clock.now() - WEEKS_KEPT * 7 * DAY_MS)
    for (const k of ctx.store.keys('week/', false)) if (k.slice('week/'.length, k.indexOf('/', 'week/'.length)) < oldest) ctx.store.delete(k)
    const before = ctx.clock.now() - ctx.config.silentDays * DAY_MS
    for (const [k, at] of ctx.store.entries<number>('reminded/', false)) if (at < before) ctx.store.delete(k)
  },

  forgetMember(ctx, contactId) {
    ctx.store.delete(remindedKey(contactId))
  },

  exportMember(ctx, contactId) {
    const at = ctx.store.get<number>(remindedKey(contactId))
    return at === undefined ? undefined : { lastReminded: at }
  },
})

const remindedKey = (id: string): string => `reminded/${segment(id)}`

/** The next report instant after `now`: the next `at` (daily) or the next `weekday` at `at` (weekly). */
export function nextReport(ctx: Ctx, now: number): number {
  const [h, m] = ctx.config.at.split(':').map(Number) as [number, number]
  let t = DateTime.fromMillis(now, { zone: ctx.time.zone }).set({ hour: h, minute: m, second: 0, millisecond: 0 })
  for (let i = 0; i < 8; i++) {
    const ok = t.toMillis() > now && (ctx.config.report === 'daily' || t.weekday === ctx.config.weekday)
    if (ok) return t.toMillis()
    t = t.plus({ days: 1 }).set({ hour: h, minute: m })
  }
  return t.toMillis()
}

function silentMembers(ctx: Ctx): SilentMember[] {
  const before = ctx.clock.now() - ctx.config.silentDays * DAY_MS
  return ctx.roster.silentSince(ctx.group.name, before).filter((m) => {
    if (ctx.bot.admins.includes(m.id)) return false
    const seen = ctx.roster.get(m.id)?.seen
    return seen !== undefined && seen <= before
  })
}

function day(ctx: Ctx, at: number): string {
  return DateTime.fromMillis(at, { zone: ctx.time.zone }).toFormat("M'月'd'日'")
}

function report(ctx: Ctx, silent: readonly SilentMember[]): void {
  const c = ctx.config
  const topics = new Map(ctx.rooms().map((r) => [r.id, r.topic]))
  const lines = [`【沉默成员】${ctx.group.name} · ${c.silentDays} 天以上没在群里说话：${silent.length} 人`]
  if (silent.length === 0) lines.push('无')
  silent.slice(0, c.listMax).forEach((m, i) => {
    const last = m.lastActive !== undefined ? `最后发言 ${day(ctx, m.lastActive)}` : m.joinedAt !== undefined ? `入群 ${day(ctx, m.joinedAt)} 后没说过话` : '没说过话'
    lines.push(`${i + 1}. ${m.name}（${topics.get(m.roomId) ?? m.roomId}，${last}）`)
  })
  if (silent.length > c.listMax) lines.push(`……还有 ${silent.length - c.listMax} 人，见控制台的会员列表（沉默 ≥ ${c.silentDays} 天）`)
  if (c.remind) lines.push('', `已在群里 @ 提醒的见群消息（每群每周最多 ${c.remind.max} 人）`)
  lines.push('不会因为沉默移出任何人。')
  if (ctx.bot.admins.length === 0) {
    ctx.log.warn({ silent: silent.length }, 'silent-members list ready but bot.admins is empty')
    return
  }
  ctx.log.info({ silent: silent.length }, 'silent-members list sent to the admins')
  for (const admin of ctx.bot.admins) for (const part of splitSegments([lines.join('\n')])) void ctx.sayIn(admin, part, { kind: 'scheduled', mergeable: false, because: 'list' })
}

/** ISO week (`2026-W48`) in bot.timezone: the reminders' weekly count. */
function weekKey(ctx: Ctx, at: number): string {
  return DateTime.fromMillis(at, { zone: ctx.time.zone }).toFormat("kkkk-'W'WW")
}

function remind(ctx: Ctx, silent: readonly SilentMember[]): void {
  const r = ctx.config.remind!
  const now = ctx.clock.now()
  const week = weekKey(ctx, now)
  const again = now - ctx.config.silentDays * DAY_MS
  const rooms = new Set(ctx.rooms().map((x) => x.id))
  const byRoom = new Map<string, SilentMember[]>()
  for (const m of silent) {
    if (!rooms.has(m.roomId)) continue
    const last = ctx.store.get<number>(remindedKey(m.id))
    if (last !== undefined && last > again) continue
    byRoom.set(m.roomId, [...(byRoom.get(m.roomId) ?? []), m])
  }
  for (const [roomId, members] of byRoom) {
    const countKey = `week/${week}/${segment(roomId)}`
    const used = ctx.store.get<number>(countKey) ?? 0
    const chosen = members.slice(0, Math.max(0, r.max - used))
    if (chosen.length === 0) continue
    // counted and remembered before it is said (the say waits for the store): never over max, also across a crash
    ctx.store.set(countKey, used + chosen.length)
    for (const m of chosen) ctx.store.set(remindedKey(m.id), now)
    const names: Mention[] = chosen.map((m) => ({ mention: m.id, name: m.name }))
    ctx.log.info({ room: roomId, reminded: chosen.length, week: used + chosen.length }, 'silent members reminded')
    for (const part of splitSegments(ctx.render(r.text, { names, days: ctx.config.silentDays }))) void ctx.sayIn(roomId, part, { kind: 'scheduled', mergeable: false, because: 'mentions' })
  }
}
