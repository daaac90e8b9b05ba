import { createHash, randomBytes } from 'node:crypto'
import { Namespace, segment, type Store, type Table } from '../../src/store/Store.js'
import type { RuleName } from './config.js'
import { takeHourlySlot } from '../../src/engine/hourlySlots.js'

const HOUR = 3600_000
/** How many records `#guard list` and the console can look back on. */
export const LOG_SIZE = 100

export interface Strike {
  at: number
  rule: RuleName
  roomId: string
}

/** A member's strikes in this group (only those inside `window` count; older ones are pruned). */
export interface StrikeRow {
  name: string
  list: Strike[]
}

/** A removed member: removed again when they join or speak in any room of the group. */
export interface BlacklistRow {
  name: string
  at: number
  rule: RuleName
  roomId: string
  topic: string
}

/** A removal decided and waiting for its turn (removalsPerHour, the governor) or running. */
export interface PendingRemoval {
  contactId: string
  name: string
  roomId: string
  topic: string
  rule: RuleName
  /** How many strikes led to it (0 for a blacklisted member coming back). */
  strikes: number
  /** The first 200 characters of what was posted, and its type. */
  evidence: string
  type: string
  decidedAt: number
  [k: string]: string | number
}

export type GuardAction = 'strike' | 'removal' | 'removal failed' | 'pardon'

/** One line of the group's guard history (`#guard list`, the console). */
export interface GuardRecord {
  at: number
  action: GuardAction
  contactId: string
  name: string
  rule?: RuleName
  roomId?: string
  topic?: string
  /** strike: which strike of how many. */
  strike?: number
  of?: number
  evidence?: string
  type?: string
  /** removal failed: why. */
  reason?: string
  /** pardon: who (an admin's contact id, `console`, `api`). */
  by?: string
}

/**
 * guard's durable state for one group (`guard/group:<name>/`): strikes per member, the
 * blacklist, removals waiting, the removal slots of the last hour, and a bounded history.
 * Every method is synchronous (the store's rule: no await between a read and its write).
 */
export class GuardBook {
  private readonly strikes: Table<StrikeRow>
  private readonly banned: Table<BlacklistRow>

  constructor(private readonly ns: Namespace) {
    this.strikes = ns.table<StrikeRow>('strikes')
    this.banned = ns.table<BlacklistRow>('blacklist')
  }

  /** The book of a group, from the whole store (what the console uses). */
  static of(store: Store, group: string): GuardBook {
    return new GuardBook(new Namespace(store, 'guard/').child(`group:${group}`))
  }

  /** Add a strike; returns how many the member has within `windowMs` (this one included). */
  addStrike(contactId: string, name: string, strike: Strike, windowMs: number): number {
    const row = this.strikes.get(contactId)
    const list = [...(row?.list ?? []).filter((s) => s.at > strike.at - windowMs), strike]
    this.strikes.set(contactId, { name, list })
    return list.length
  }

  /** Strikes within the window (expired ones are not counted). */
  strikesOf(contactId: string, now: number, windowMs: number): Strike[] {
    return (this.strikes.get(contactId)?.list ?? []).filter((s) => s.at > now - windowMs)
  }

  /** The name the member had at their last strike, if they have strikes. */
  nameOf(contactId: string): string | undefined {
    return this.strikes.get(contactId)?.name
  }

  /** Forget a member's strikes; returns how many there were. */
  clearStrikes(contactId: string): number {
    const n = this.strikes.get(contactId)?.list.length ?? 0
    if (n > 0) this.strikes.delete(contactId)
    return n
  }

  /** Drop strikes older than the window, and members left with none. Returns rows removed. */
  sweep(now: number, windowMs: number): number {
    let dropped = 0
    for (const [id, row] of this.strikes.rows()) {
      const list = row.list.filter((s) => s.at > now - windowMs)
      if (list.length === row.list.length) continue
      if (list.length === 0) {
        this.strikes.delete(id)
        dropped++
      } else this.strikes.set(id, { ...row, list })
    }
    return dropped
  }

  blacklisted(contactId: string): BlacklistRow | undefined {
    return this.banned.get(contactId) ?? this.forgottenBan(contactId)
  }

  /** A forgotten member's ban, kept under a salted hash of their id (see forget). */
  private forgottenBan(contactId: string): BlacklistRow | undefined {
    const salt = this.ns.get<string>('meta/salt')
    return salt === undefined ? undefined : this.banned.get(forgottenKey(salt, contactId))
  }

  /**
   * Forget a member (CONTRACT §11): strikes, evidence, waiting removals and history lines go.
   * A ban stays — keeping the group clean is why it exists, and 删除我的数据 must not be a way
   * back in — but not under their id: under a salted hash of it (no name, no evidence), which
   * only someone who already knows the id can match. Returns what was removed.
   */
  forget(contactId: string): { strikes: number; banned: boolean; removing: number; records: number } {
    const strikes = this.clearStrikes(contactId)
    const ban = this.banned.get(contactId)
    if (ban) {
      let salt = this.ns.get<string>('meta/salt')
      if (salt === undefined) this.ns.set('meta/salt', (salt = randomBytes(16).toString('hex')))
      this.banned.delete(contactId)
      this.banned.set(forgottenKey(salt, contactId), { name: '', at: ban.at, rule: ban.rule, roomId: ban.roomId, topic: '' })
    }
    const removing = this.removingOf(contactId)
    for (const p of removing) this.clearRemoving(contactId, p.roomId)
    const log = this.ns.get<GuardRecord[]>('log') ?? []
    const kept = log.filter((r) => r.contactId !== contactId)
    if (kept.length !== log.length) this.ns.set('log', kept)
    return { strikes, banned: ban !== undefined, removing: removing.length, records: log.length - kept.length }
  }

  /** Every record of the member in this group (export). */
  recordsOf(contactId: string): { strikes: StrikeRow | undefined; blacklisted: BlacklistRow | undefined; removing: PendingRemoval[]; history: GuardRecord[] } {
    return {
      strikes: this.strikes.get(contactId),
      blacklisted: this.banned.get(contactId),
      removing: this.removingOf(contactId),
      history: (this.ns.get<GuardRecord[]>('log') ?? []).filter((r) => r.contactId === contactId),
    }
  }

  ban(contactId: string, row: BlacklistRow): void {
    this.banned.set(contactId, row)
  }

  /** True when the member was on the blacklist. */
  unban(contactId: string): boolean {
    if (!this.banned.get(contactId)) return false
    this.banned.delete(contactId)
    return true
  }

  blacklist(): Array<{ contactId: string } & BlacklistRow> {
    return this.banned
      .rows()
      .map(([contactId, row]) => ({ contactId, ...row }))
      .sort((a, b) => b.at - a.at)
  }

  removing(contactId: string, roomId: string): PendingRemoval | undefined {
    return this.ns.get<PendingRemoval>(this.removingKey(contactId, roomId))
  }

  setRemoving(p: PendingRemoval): void {
    this.ns.set(this.removingKey(p.contactId, p.roomId), p)
  }

  clearRemoving(contactId: string, roomId: string): boolean {
    if (!this.removing(contactId, roomId)) return false
    this.ns.delete(this.removingKey(contactId, roomId))
    return true
  }

  allRemoving(): PendingRemoval[] {
    return this.ns.entries<PendingRemoval>('removing/').map(([, p]) => p)
  }

  /** Every waiting removal of a member (any room). */
  removingOf(contactId: string): PendingRemoval[] {
    return this.ns.entries<PendingRemoval>(`removing/${segment(contactId)}/`).map(([, p]) => p)
  }

  /** Take the next removal slot under `perHour` (see takeHourlySlot); returns when this one may go. */
  takeSlot(now: number, perHour: number): number {
    return takeHourlySlot(this.ns, 'slots', now, perHour)
  }

  /** Removals that reached WeChat in the last `ms` (oldest first): the run-time check of removalsPerHour. */
  removedWithin(now: number, ms: number): number[] {
    return (this.ns.get<number[]>('started') ?? []).filter((t) => t > now - ms)
  }

  /** A removal reached WeChat now, done or refused (kept for an hour: enough for removalsPerHour). */
  noteRemoval(now: number): void {
    this.ns.set('started', [...this.removedWithin(now, HOUR), now])
  }

  record(r: GuardRecord): void {
    const log = this.ns.get<GuardRecord[]>('log') ?? []
    const next = log.length >= LOG_SIZE ? log.slice(log.length - LOG_SIZE + 1) : [...log]
    next.push(stripUndefined(r))
    this.ns.set('log', next)
  }

  /** The last `limit` records, newest first. */
  history(limit = 20): GuardRecord[] {
    return (this.ns.get<GuardRecord[]>('log') ?? []).slice(-limit).reverse()
  }

  private removingKey(contactId: string, roomId: string): string {
    return `removing/${segment(contactId)}/${segment(roomId)}`
  }
}

/** The blacklist key of a forgotten member: `forgotten:<sha256(salt + id)>`. */
function forgottenKey(salt: string, contactId: string): string {
  return `forgotten:${createHash('sha256').update(salt).update(contactId).digest('hex').slice(0, 32)}`
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T
}
