import type { Namespace, Store, Table } from '../store/Store.js'
import { PoolRanks } from './PoolRanks.js'
import { PoolTotals } from './PoolTotals.js'

/** A member's standing in a pool: derived from the ledger, kept for fast answers. */
export interface MemberPoints {
  /** Last display name seen (group alias, else WeChat name); the key is the contact id. */
  name: string
  total: number
  streak: number
  /** Day of the last check-in (`2026-11-26` in bot.timezone). */
  lastDay: string | null
  /** When the member reached their current total: earlier reach wins a tie. */
  reachedAt: number
  checkins: number
}

/**
 * Why points changed. `refund` reverses a `redeem` (a cancelled shop order); `adjust` is an
 * admin's correction (`#points add|sub`), its note naming the admin; `activity` is for speaking
 * and `invite` for an invitee who stayed (checkin.activity / checkin.invites, CONTRACT §12).
 */
export type LedgerReason = 'checkin' | 'streakBonus' | 'adjust' | 'redeem' | 'refund' | 'activity' | 'invite'

/** Where and when a change that is not a check-in happens (see PointsBook.change). */
export interface ChangeInput {
  now: number
  day: string
  group: string
  room?: string
  note?: string
  /** The member's display name, when known (kept on the row for leaderboards). */
  name?: string
}

export type ChangeResult = { ok: true; row: MemberPoints; before: number } | { ok: false; total: number; short: number }

/** One change of points. The ledger is the truth; totals can be recomputed from it. */
export interface LedgerEntry {
  seq: number
  at: number
  day: string
  member: string
  delta: number
  reason: LedgerReason
  group: string
  room?: string
  note?: string
}

export interface CheckinInput {
  memberId: string
  name: string
  day: string
  yesterday: string
  now: number
  points: number
  bonusForStreak: (streak: number) => number
  group: string
  room: string
}

export type CheckinResult =
  | { already: true; row: MemberPoints }
  | { already: false; row: MemberPoints; earned: number; bonus: number }

/**
 * Points of one pool: `members/<bucket>/<id>` rows and a ledger `ledger/<day>/<seq>`
 * (one file per day on disk, so history is never rewritten). Every method reads and writes
 * synchronously, so two check-ins can never interleave between read and write.
 */
export class PointsBook {
  readonly members: Table<MemberPoints>

  constructor(
    private readonly ns: Namespace,
    /** Told of every new row (checkIn, adjust), synchronously: rule tags follow points. */
    private readonly onChange?: (memberId: string, row: MemberPoints) => void,
  ) {
    this.members = ns.table<MemberPoints>('members')
    // made now, so that every change of a row keeps the pool's kept head (ranks/head) up to date
    this.ranks()
  }

  /** The pool's rank order (one per store and pool), keeping its first members at `ranks/head`. */
  private ranks(): PoolRanks {
    return PoolRanks.of(this.members, `${this.ns.prefix}ranks/head`)
  }

  get store(): Store {
    return this.ns.store
  }

  get(memberId: string): MemberPoints | undefined {
    return this.members.get(memberId)
  }

  checkIn(i: CheckinInput): CheckinResult {
    const old = this.members.get(i.memberId)
    if (old?.lastDay === i.day) {
      if (old.name !== i.name) this.members.set(i.memberId, { ...old, name: i.name })
      return { already: true, row: old }
    }
    const streak = old?.lastDay === i.yesterday ? old.streak + 1 : 1
    const bonus = i.bonusForStreak(streak)
    this.record({ at: i.now, day: i.day, member: i.memberId, delta: i.points, reason: 'checkin', group: i.group, room: i.room })
    if (bonus > 0) {
      this.record({ at: i.now, day: i.day, member: i.memberId, delta: bonus, reason: 'streakBonus', group: i.group, room: i.room, note: `streak ${streak}` })
    }
    const row: MemberPoints = {
      name: i.name,
      total: (old?.total ?? 0) + i.points + bonus,
      streak,
      lastDay: i.day,
      reachedAt: i.now,
      checkins: (old?.checkins ?? 0) + 1,
    }
    this.members.set(i.memberId, row)
    this.onChange?.(i.memberId, row)
    return { already: false, row, earned: i.points + bonus, bonus }
  }

  /** An admin correction or a redemption: a ledger entry and the new total, nothing else. */
  adjust(memberId: string, delta: number, reason: 'adjust' | 'redeem', at: { now: number; day: string; group: string; note?: string }): MemberPoints {
    const old = this.members.get(memberId) ?? { name: memberId, total: 0, streak: 0, lastDay: null, reachedAt: at.now, checkins: 0 }
    this.record({ at: at.now, day: at.day, member: memberId, delta, reason, group: at.group, note: at.note })
    const row = { ...old, total: old.total + delta, reachedAt: at.now }
    this.members.set(memberId, row)
    this.onChange?.(memberId, row)
    return row
  }

  /**
   * A change that never takes a total below zero: a debit larger than the balance writes
   * nothing and says how many points are short. Every change is one ledger entry (a zero
   * change writes none). Synchronous: a caller checks and changes in the same turn.
   */
  change(memberId: string, delta: number, reason: Exclude<LedgerReason, 'checkin' | 'streakBonus'>, at: ChangeInput): ChangeResult {
    if (!Number.isSafeInteger(delta)) throw new Error(`a change of points must be a whole number, not ${delta}`)
    const old = this.members.get(memberId)
    const before = old?.total ?? 0
    if (before + delta < 0) return { ok: false, total: before, short: -(before + delta) }
    const base = old ?? { name: at.name ?? memberId, total: 0, streak: 0, lastDay: null, reachedAt: at.now, checkins: 0 }
    if (delta === 0) return { ok: true, row: base, before }
    this.record({ at: at.now, day: at.day, member: memberId, delta, reason, group: at.group, room: at.room, note: at.note })
    const row = { ...base, name: at.name ?? base.name, total: before + delta, reachedAt: at.now }
    this.members.set(memberId, row)
    this.onChange?.(memberId, row)
    return { ok: true, row, before }
  }

  /**
   * 1-based rank: more points first; on equal points whoever reached that total earlier (then
   * by id). From the pool's rank order (PoolRanks), kept up to date on every change of a row:
   * O(log n), whatever the pool's size.
   */
  rank(memberId: string): number | undefined {
    const me = this.members.get(memberId)
    if (!me) return undefined
    return this.ranks().rank(memberId, me)
  }

  /**
   * rank(), without building the whole order in this turn. Right after a big pool's start the
   * order is still being built in the background (a bucket per turn; seconds at a million
   * members): a member the kept head does not hold waits for that build, instead of building
   * the rest at once and stopping every room meanwhile (19 s measured at 1M under load).
   */
  async rankSoon(memberId: string): Promise<number | undefined> {
    const ranks = this.ranks()
    if (!ranks.built && !ranks.kept()?.rows.some((r) => r.entry.id === memberId)) await ranks.warm()
    return this.rank(memberId)
  }

  /** The first `n` by rank among members with points. */
  top(n: number): Array<{ rank: number; id: string; row: MemberPoints }> {
    const out: Array<{ rank: number; id: string; row: MemberPoints }> = []
    if (n <= 0) return out
    const ranks = this.ranks()
    // while the order is being built (the first minute after a big pool's start): from the
    // first members the pool keeps, when they are enough
    const kept = ranks.kept()
    if (kept) {
      for (const { entry, row } of kept.rows) {
        if (entry.total <= 0 || out.length === n) break
        if (!entry.id.startsWith('anon_')) out.push({ rank: out.length + 1, id: entry.id, row: row as unknown as MemberPoints })
      }
      if (out.length === n || kept.all || kept.rows.some((r) => r.entry.total <= 0)) return out
      out.length = 0
    }
    for (const e of ranks.entries()) {
      if (e.total <= 0) break // the order puts every member with points first
      // a forgotten member's points stay under an anonymous id (src/engine/members/forget.ts): no rank
      if (e.id.startsWith('anon_')) continue
      const row = this.members.get(e.id)
      if (row) out.push({ rank: out.length + 1, id: e.id, row })
      if (out.length === n) break
    }
    return out
  }

  /**
   * Build the pool's rank order in the background (a member bucket per turn), so that the
   * first 积分榜 after a start does not wait for it. Asking before it is done is still right:
   * the rest is built then.
   */
  warmRanks(): Promise<void> {
    return this.ranks().warm()
  }

  /** Every member's total, in memory, kept on every change (built on first use; see PoolTotals). */
  totals(): PoolTotals {
    return PoolTotals.of(this.members)
  }

  ledger(day?: string): LedgerEntry[] {
    return this.ns.entries<LedgerEntry>(day ? `ledger/${day}/` : 'ledger/').map(([, e]) => e)
  }

  /** Totals as the ledger says they are (an audit compares them with the rows). */
  recomputeTotals(): Map<string, number> {
    const totals = new Map<string, number>()
    for (const e of this.ledger()) totals.set(e.member, (totals.get(e.member) ?? 0) + e.delta)
    return totals
  }

  private record(e: Omit<LedgerEntry, 'seq'>): void {
    const seq = (this.ns.get<number>('meta/seq') ?? 0) + 1
    this.ns.set('meta/seq', seq)
    this.ns.set(`ledger/${e.day}/${String(seq).padStart(10, '0')}`, { seq, ...e })
  }
}

