import type { ChangeResult, PointsBook } from '../../src/members/PointsBook.js'

export interface AdjustInput {
  member: string
  /** Positive adds, negative takes away; never below zero (refused, nothing written). */
  delta: number
  /** Who did it: an admin's contact id, `console`, `api`. */
  by: string
  reason?: string
  now: number
  /** The calendar day of `now` in bot.timezone (the ledger's day). */
  day: string
  group: string
  room?: string
  /** The member's display name when known (a member who never checked in has none yet). */
  name?: string
}

/**
 * An admin's correction of a member's points: one ledger entry of reason `adjust`, its note
 * naming who did it and why. The chat command (`#points`), the console and the API all come
 * here, so every correction reads the same in the ledger.
 */
export function adjustPoints(book: PointsBook, i: AdjustInput): ChangeResult {
  const note = `by ${i.by}${i.reason ? `: ${i.reason}` : ''}`
  return book.change(i.member, i.delta, 'adjust', { now: i.now, day: i.day, group: i.group, room: i.room, note, name: i.name })
}
