import type { MessageContext } from '../../src/engine/Skill.js'
import type { Namespace, Store, Table } from '../../src/store/Store.js'
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
 * points earned, the last counted time, and short hashes (53 bits, textHash) of the texts
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

export type ActivityOutcome = 'earned' | 'short' | 'repeat' | 'cooldown' | 'capped' | 'command'

type Ctx = MessageContext<CheckinConfig>

/** The days' rows of a pool: `activity/<day>/`. */
function rows(pool: Namespace, day: string): Table<ActivityRow> {
  return pool.child('activity').child(day).table<ActivityRow>('m')
}

/**
 * Today's table per store and pool, made once (every counted message asks for it: building the
 * key path each time was a measurable part of a message's cost in the pipeline bench).
 */
const todays = new WeakMap<Store, Map<string, { day: string; table: Table<ActivityRow> }>>()
function todaysRows(ns: Namespace, pool: string, day: string): Table<ActivityRow> {
  let byPool = todays.get(ns.store)
  if (!byPool) todays.set(ns.store, (byPool = new Map()))
  const hit = byPool.get(pool)
  if (hit?.day === day) return hit.table
  const table = rows(ns, day)
  byPool.set(pool, { day, table })
  return table
}

/** The text as counted: mentions and whitespace do not count (`@小助手 ` is no activity). */
export function countedText(ctx: Ctx): string {
  const m = ctx.message
  let text = m.mentionsBot ? m.textWithoutMentions : m.text
  if (m.mentionIds.length > 0) text = text.replace(/@[^\s\u2005]+[\u2005 ]?/gu, '')
  return text.replace(/\s+/gu, '')
}

/** Fewer than `n` characters (code points: an emoji is one), counted only as far as needed. */
function shorterThan(text: string, n: number): boolean {
  if (text.length < n) return true
  if (text.length >= 2 * n) return false // even all surrogate pairs make n
  let count = 0
  for (let i = 0; i < text.length && count < n; i++, count++) {
    const c = text.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++
  }
  return count < n
}

/**
 * A 53-bit hash of a text (cyrb53, bryc's public-domain string hash), base 36. By hand rather
 * than node:crypto's SHA-256 because it runs on every counted message and no secrecy is needed:
 * it only tells a member's texts of one day apart (≤ 100 of them: the odds that two differ yet
 * hash alike are below 1e-12), and SHA-256's per-call cost showed in the pipeline bench.
 */
export function textHash(text: string): string {
  let h1 = 0xdeadbeef
  let h2 = 0x41c6ce57
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i)
    h1 = Math.imul(h1 ^ ch, 2654435761)
    h2 = Math.imul(h2 ^ ch, 1597334677)
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)
}

/**
 * Count a message for activity points. Synchronous (read and write in one turn): two
 * messages of one member can never both pass the cooldown or the cap.
 */
export function countActivity(ctx: Ctx, pool: string): ActivityOutcome {
  const a = ctx.config.activity!
  const text = countedText(ctx)
  if (shorterThan(text, a.minLength)) return 'short'
  const now = ctx.clock.now()
  const day = ctx.time.dayKey(now)
  const ns = ctx.pool(pool)
  const table = todaysRows(ns, pool, day)
  const member = ctx.talker.id
  const row = table.get(member)
  // at the cap nothing more is written today: a chatty member costs one read per message
  if (row && row.earned >= a.dailyCap) return 'capped'
  // another skill's trigger or command never pays (they end the chain before checkin anyway: this holds whatever the order)
  if (ctx.takenBy(ctx.message.text) !== undefined) return 'command'
  const hash = textHash(text)
  if (row?.hashes.includes(hash)) return 'repeat'
  // the cooldown runs across midnight: yesterday's last count still holds (looked up only that close to midnight)
  const lastAt = row ? row.lastAt : ctx.time.dayKey(now - a.cooldown) !== day ? (rows(ns, ctx.time.previousDay(day)).get(member)?.lastAt ?? -Infinity) : -Infinity
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
