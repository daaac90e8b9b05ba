import { createHash } from 'node:crypto'
import type { MessageContext } from '../../src/engine/Skill.js'
import type { Namespace } from '../../src/store/Store.js'
import type { CheckinConfig } from './config.js'

/**
 * Activity points (发言积分, CONTRACT §12): a member's message counts once per `cooldown`,
 * only from `minLength` characters, not for a text they already sent today, and never above
 * `dailyCap` points a day. Into the same pool, ledger (reason `activity`), leaderboards and
 * rule tags as check-ins (PointsBook.change). Silent: no reply, so talking is never answered
 * with bot noise (the points show in 我的积分 and 积分榜).
 *
 * What never earns them: a message guard struck (guard is a screen: it never reaches this
 * skill), the check-in triggers and every other skill's trigger or command (they end the chain
 * before checkin, or are asked through the engine; see index.ts), admin commands (handled
 * before any skill).
 *
 * Per member, pool and day one small row, `checkin/pool:<p>/activity/<day>/<bucket>/<id>`:
 * points earned, the last counted time, and short hashes (60 bits of SHA-256) of the texts
 * they sent today — never the texts. A day's rows are deleted the next day (sweep).
 */
export interface ActivityRow {
  earned: number
  /** When a message last counted (the cooldown runs from it). */
  lastAt: number
  /** Hashes of today's texts (the last MAX_HASHES), counted or not. */
  hashes: string[]
}

/** A member who keeps talking before reaching the cap: the newest hashes are kept. */
export const MAX_HASHES = 100

export type ActivityOutcome = 'earned' | 'short' | 'repeat' | 'cooldown' | 'capped'

type Ctx = MessageContext<CheckinConfig>

/** The days' rows of a pool: `activity/<day>/`. */
function rows(pool: Namespace, day: string) {
  return pool.child('activity').child(day).table<ActivityRow>('m')
}

/** The text as counted: mentions and whitespace do not count (`@小助手 ` is no activity). */
export function countedText(ctx: Ctx): string {
  const m = ctx.message
  let text = m.mentionsBot ? m.textWithoutMentions : m.text
  if (m.mentionIds.length > 0) text = text.replace(/@[^\s\u2005]+[\u2005 ]?/gu, '')
  return text.replace(/\s+/gu, '')
}

export function textHash(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 10)
}

/**
 * Count a message for activity points. Synchronous (read and write in one turn): two
 * messages of one member can never both pass the cooldown or the cap.
 */
export function countActivity(ctx: Ctx, pool: string): ActivityOutcome {
  const a = ctx.config.activity!
  const text = countedText(ctx)
  if ([...text].length < a.minLength) return 'short'
  const now = ctx.clock.now()
  const day = ctx.time.dayKey(now)
  const ns = ctx.pool(pool)
  const table = rows(ns, day)
  const member = ctx.talker.id
  const row = table.get(member)
  // at the cap nothing more is written today: a chatty member costs one read per message
  if (row && row.earned >= a.dailyCap) return 'capped'
  const hash = textHash(text)
  if (row?.hashes.includes(hash)) return 'repeat'
  // the cooldown runs across midnight: yesterday's last count still holds
  const lastAt = row ? row.lastAt : (rows(ns, ctx.time.previousDay(day)).get(member)?.lastAt ?? -Infinity)
  const hashes = [...(row?.hashes ?? []), hash].slice(-MAX_HASHES)
  if (now - lastAt < a.cooldown) {
    table.set(member, { earned: row?.earned ?? 0, lastAt: Number.isFinite(lastAt) ? lastAt : 0, hashes })
    return 'cooldown'
  }
  const points = Math.min(a.points, a.dailyCap - (row?.earned ?? 0))
  table.set(member, { earned: (row?.earned ?? 0) + points, lastAt: now, hashes })
  ctx.points(pool).change(member, points, 'activity', { now, day, group: ctx.group.name, room: ctx.room.id, name: ctx.talker.name })
  return 'earned'
}

/** Delete the rows of days before yesterday (yesterday's still holds a cooldown across midnight). */
export function sweepActivity(pool: Namespace, today: string, yesterday: string): number {
  let n = 0
  const root = pool.child('activity')
  for (const key of root.keys('', false)) {
    const day = key.slice(0, key.indexOf('/'))
    if (day >= yesterday || day === today) continue
    root.delete(key)
    n++
  }
  return n
}

/** Forget: the contact's activity rows (hashes of their texts, counts) of every day kept. */
export function forgetActivity(pool: Namespace, contactId: string): void {
  for (const day of days(pool)) rows(pool, day).delete(contactId)
}

export function exportActivity(pool: Namespace, contactId: string): Array<{ day: string; earned: number; lastAt: number }> {
  const out: Array<{ day: string; earned: number; lastAt: number }> = []
  for (const day of days(pool)) {
    const r = rows(pool, day).get(contactId)
    if (r) out.push({ day, earned: r.earned, lastAt: r.lastAt })
  }
  return out
}

function days(pool: Namespace): string[] {
  return [...new Set(pool.child('activity').keys('', false).map((k) => k.slice(0, k.indexOf('/'))))]
}
