import { segment, type Namespace } from '../../src/store/Store.js'

/** A member's message kept for the digest (at most 24 hours). */
export interface HeldText {
  at: number
  room: string
  member: string
  name: string
  text: string
  /** Looks like a question (questions.ts). */
  q: boolean
}

/** Texts are kept in hourly buckets (one file on disk each); counts in 10-minute buckets. */
export const BUCKET_MS = 10 * 60_000
const HOUR_MS = 3_600_000
/** The contract's bound: a text is held at most this long. */
export const HOLD_MS = 24 * HOUR_MS

const bucketOf = (at: number): number => Math.floor(at / BUCKET_MS)
const pad = (b: number): string => String(b).padStart(10, '0')

/**
 * The digest's held texts of one group: `held/<hour>/<message id>`, and a message count per
 * 10 minutes `count/<bucket>` (no text, no member). Each text is deleted when the digest
 * covered it, and at the latest exactly 24 hours after it was said (sweep(), called by a
 * durable job set for the oldest text's instant, and at every start).
 */
export class HeldTexts {
  constructor(private readonly ns: Namespace) {}

  hold(id: string, t: HeldText): void {
    this.ns.set(`held/${pad(Math.floor(t.at / HOUR_MS))}/${segment(id)}`, t)
  }

  countMessage(at: number): void {
    const key = `count/${pad(bucketOf(at))}`
    this.ns.set(key, (this.ns.get<number>(key) ?? 0) + 1)
  }

  /** Texts held before `before`, oldest first. */
  before(before: number): HeldText[] {
    return this.ns
      .entries<HeldText>('held/')
      .map(([, t]) => t)
      .filter((t) => t.at < before)
      .sort((a, b) => a.at - b.at)
  }

  /** Messages counted in the buckets that ended by `before` (the current one goes to the next digest). */
  messagesBefore(before: number): number {
    const current = bucketOf(before)
    let n = 0
    for (const [k, v] of this.ns.entries<number>('count/', false)) if (Number(k.slice('count/'.length)) < current) n += v
    return n
  }

  /** Delete what the digest covered: the texts held before `before`, the counts of buckets that ended. */
  dropBefore(before: number): void {
    for (const [k, t] of this.ns.entries<HeldText>('held/', false)) if (t.at < before) this.ns.delete(k)
    const current = bucketOf(before)
    for (const k of this.ns.keys('count/', false)) if (Number(k.slice('count/'.length)) < current) this.ns.delete(k)
  }

  /**
   * Delete every text said 24 hours ago or earlier (and counts as old); returns the instant the
   * next text comes due, or undefined when none is held. One pass, no copies: it runs once per
   * text at the 24-hour horizon.
   */
  sweep(now: number): number | undefined {
    let next: number | undefined
    const dead: string[] = []
    this.ns.store.each(`${this.ns.prefix}held/`, (dir, leaf, v) => {
      const due = (v as unknown as HeldText).at + HOLD_MS
      if (due <= now) dead.push(`${dir}/${leaf}`)
      else if (next === undefined || due < next) next = due
    })
    this.ns.store.each(`${this.ns.prefix}count/`, (dir, leaf) => {
      if (Number(leaf) * BUCKET_MS + HOLD_MS <= now) dead.push(`${dir}/${leaf}`)
    })
    for (const key of dead) this.ns.store.set(key, undefined)
    return next
  }

  /** A member's held texts (export), and forgetting them. */
  of(member: string): HeldText[] {
    return this.ns
      .entries<HeldText>('held/', false)
      .map(([, t]) => t)
      .filter((t) => t.member === member)
  }

  forget(member: string): void {
    for (const [k, t] of this.ns.entries<HeldText>('held/', false)) if (t.member === member) this.ns.delete(k)
  }
}
