import type { Store } from '../../src/store/Store.js'
import { GuardBook, type BlacklistRow, type GuardRecord } from './GuardBook.js'

/*
 * guard's records as plain functions over the store, for `#guard list|pardon` and for the
 * console and API (no chat texts here): what the console shows under "removals (pardon)"
 * and what its pardon button does. Synchronous; the caller waits for `store.durable()`
 * before saying it is done.
 */

/** The last `limit` strikes, removals (done or failed) and pardons of a group, newest first. */
export function guardHistory(store: Store, group: string, limit = 20): GuardRecord[] {
  return GuardBook.of(store, group).history(limit)
}

/** The group's blacklist (removed members), newest first. */
export function guardBlacklist(store: Store, group: string): Array<{ contactId: string } & BlacklistRow> {
  return GuardBook.of(store, group).blacklist()
}

/** A member's strikes still counting, their blacklist entry and waiting removals. */
export function guardStanding(store: Store, group: string, contactId: string, now: number, windowMs: number) {
  const book = GuardBook.of(store, group)
  return { strikes: book.strikesOf(contactId, now, windowMs), blacklisted: book.blacklisted(contactId), removing: book.removingOf(contactId) }
}

export interface PardonResult {
  contactId: string
  /** The name guard knew them by, if any record had one. */
  name: string | undefined
  /** Strikes cleared. */
  strikes: number
  /** They were on the blacklist (now off it). */
  unbanned: boolean
  /** Removals that were waiting and will not happen now. */
  removalsCancelled: number
  /** False when there was nothing to pardon (nothing changed, nothing recorded). */
  changed: boolean
}

/**
 * `#guard pardon`: clear a member's strikes, their blacklist entry, and removals still
 * waiting (their jobs find nothing to do). Recorded in the history with who pardoned
 * (an admin's contact id, `console`, `api`); the caller writes the audit line.
 */
export function pardon(store: Store, group: string, contactId: string, by: string, now: number): PardonResult {
  const book = GuardBook.of(store, group)
  const banned = book.blacklisted(contactId)
  const waiting = book.removingOf(contactId)
  const name = banned?.name ?? waiting[0]?.name ?? book.nameOf(contactId)
  const strikes = book.clearStrikes(contactId)
  const unbanned = book.unban(contactId)
  for (const p of waiting) book.clearRemoving(contactId, p.roomId)
  const changed = strikes > 0 || unbanned || waiting.length > 0
  if (changed) book.record({ at: now, action: 'pardon', contactId, name: name ?? contactId, by })
  return { contactId, name, strikes, unbanned, removalsCancelled: waiting.length, changed }
}
