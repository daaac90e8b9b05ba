import { segment, type Namespace } from '../store/Store.js'

/** Where the assignee of each room is kept (durable, so a restart does not move rooms around). */
export interface AssigneeRecord {
  get(roomId: string): string | undefined
  set(roomId: string, accountId: string): void
}

/** A room changed hands. */
export interface Handover {
  room: string
  from: string | undefined
  to: string
  /** `first`: nobody served it; `takeover`: the server was away past the grace period;
   *  `preferred`: an account earlier in the group's order is back; `moved`: the server left the
   *  room or may no longer serve this group. */
  why: 'first' | 'takeover' | 'preferred' | 'moved'
}

export interface AssigneesOptions {
  /** Every account, in the order of `accounts:`. */
  accounts: readonly string[]
  /** How long a serving account may be away before another takes over. */
  graceMs: number
  /** The process start: an account not back yet counts as away since then. */
  startedAt: number
  now: () => number
  record: AssigneeRecord
  /** The accounts that may serve a room, in order of preference (its group's `accounts:`). */
  order: (roomId: string) => readonly string[]
}

/**
 * Which account serves each room (Koishi's "assignee"): the first in the group's order that is
 * logged in and in the room. Pure bookkeeping on times given by the caller, so the grace
 * period is tested on a fake clock.
 *
 * A serving account that goes away keeps its rooms for `graceMs` (a blip does not move them);
 * after that the next online account in the room takes over. An account earlier in the order
 * that comes back takes its rooms back at once. Accounts are "away since the start" until they
 * log in and report their rooms, so after a restart the recorded assignee keeps its rooms
 * while it logs in (within the grace period) instead of whichever account was quickest.
 */
export class Assignees {
  private readonly online = new Set<string>()
  private readonly awaySince = new Map<string, number>()
  /** Accounts that reported their rooms since the start (their membership is known). */
  private readonly loaded = new Set<string>()
  private readonly members = new Map<string, Set<string>>()

  constructor(private readonly o: AssigneesOptions) {
    for (const a of o.accounts) this.awaySince.set(a, o.startedAt)
  }

  isOnline(account: string): boolean {
    return this.online.has(account)
  }

  /** Logged in and its rooms reported. */
  setOnline(account: string): void {
    this.online.add(account)
    this.loaded.add(account)
    this.awaySince.delete(account)
  }

  /** Logged out, banned or disconnected (the first moment counts). */
  setOffline(account: string): void {
    if (!this.online.delete(account) && this.awaySince.has(account)) return
    this.awaySince.set(account, this.o.now())
  }

  /** The account is in the room (it reported it, or an event came from there). */
  enter(account: string, roomId: string): void {
    let set = this.members.get(roomId)
    if (!set) this.members.set(roomId, (set = new Set()))
    set.add(account)
  }

  /** The account left or was removed. */
  leave(account: string, roomId: string): void {
    this.members.get(roomId)?.delete(account)
  }

  /** Every room some account is (or was) in. */
  rooms(): string[] {
    return [...this.members.keys()]
  }

  /** Is any account in the room? */
  anyIn(roomId: string): boolean {
    return (this.members.get(roomId)?.size ?? 0) > 0
  }

  isIn(account: string, roomId: string): boolean {
    return this.members.get(roomId)?.has(account) ?? false
  }

  /** The account serving the room now (possibly away, within its grace period). */
  assignee(roomId: string): string | undefined {
    return this.o.record.get(roomId)
  }

  /**
   * Are this account's events from this room to be handled? Its own room's, yes; another's
   * only while that one is away; never an account the group does not list (so nothing said during the grace period is lost — the same
   * message seen twice is then deduplicated by the caller).
   */
  accepts(account: string, roomId: string): boolean {
    // an account the group does not list never speaks for it
    if (!this.o.order(roomId).includes(account)) return false
    const current = this.assignee(roomId)
    if (current === undefined || current === account) return true
    return !this.online.has(current) && this.online.has(account)
  }

  /** The account whose queue gets what is said in this room. */
  target(roomId: string): string | undefined {
    return this.assignee(roomId) ?? this.awaited(roomId) ?? this.candidates(roomId)[0] ?? this.o.order(roomId)[0] ?? this.o.accounts[0]
  }

  /** Decide every room again; returns the changes (already recorded). */
  evaluate(): Handover[] {
    const now = this.o.now()
    const out: Handover[] = []
    for (const roomId of this.members.keys()) {
      const h = this.decide(roomId, now)
      if (!h) continue
      this.o.record.set(roomId, h.to)
      out.push(h)
    }
    return out
  }

  /** When the next grace period runs out (for a timer), or undefined. */
  nextDeadline(): number | undefined {
    let next: number | undefined
    for (const roomId of this.members.keys()) {
      const current = this.assignee(roomId)
      const since = current === undefined ? undefined : this.awaySince.get(current)
      if (since === undefined) continue
      const at = since + this.o.graceMs
      if (next === undefined || at < next) next = at
    }
    return next
  }

  /**
   * Right after the start, a room nobody serves yet waits (within the grace period) for an
   * account earlier in its order that has not logged in yet: the first start does not hand
   * rooms to whichever account was quickest, only to move them again a second later.
   */
  private awaited(roomId: string, before?: string): string | undefined {
    if (this.o.now() - this.o.startedAt >= this.o.graceMs) return undefined
    const order = this.o.order(roomId)
    const upTo = before === undefined ? order.length : order.indexOf(before)
    return order.slice(0, upTo).find((a) => !this.loaded.has(a))
  }

  private candidates(roomId: string): string[] {
    return this.o.order(roomId).filter((a) => this.isIn(a, roomId))
  }

  private decide(roomId: string, now: number): Handover | undefined {
    const order = this.o.order(roomId)
    const best = this.candidates(roomId).find((a) => this.online.has(a))
    const current = this.assignee(roomId)
    if (!best || best === current) return undefined
    if (current === undefined) return this.awaited(roomId, best) ? undefined : { room: roomId, from: undefined, to: best, why: 'first' }
    const rank = order.indexOf(current)
    // not allowed any more (config changed), or known to have left the room
    if (rank < 0 || (this.loaded.has(current) && !this.isIn(current, roomId))) return { room: roomId, from: current, to: best, why: 'moved' }
    if (order.indexOf(best) < rank) return { room: roomId, from: current, to: best, why: 'preferred' }
    // the current one comes first in the order, so it is away: wait out its grace period
    const since = this.awaySince.get(current) ?? now
    if (now - since < this.o.graceMs) return undefined
    return { room: roomId, from: current, to: best, why: 'takeover' }
  }
}

/** The assignees in the store (`core/accounts/assignee/<room>`): one key per room. */
export function assigneesInStore(ns: Namespace): AssigneeRecord {
  return {
    get: (roomId) => ns.get<string>(segment(roomId)),
    set: (roomId, accountId) => ns.set(segment(roomId), accountId),
  }
}
