/**
 * Deliveries: scheduled messages (a live's reminders, a post) per room, each with its state
 * in the store, so that one goes out at most once per room — also across restarts, reloads,
 * kill -9 and a takeover — and one that was waiting when the bot went down is sent late only
 * within 10 minutes. The skills say WHAT a delivery is and how it reads (DeliveryHooks); this
 * is the one state machine they share (skills/live, skills/posts).
 *
 * A *slot* is one planned send for a whole group (a live's `remind-1h`, a post's occurrence);
 * its record is the skill's durable job. A *delivery* is that slot in one room
 * (`<prefix><slot>/<room>`). It is several messages (parts) when it has media items or many
 * mentions; each part has its own state:
 *
 *   queued ──(beforeSend: written and on disk before the puppet call)──► sending
 *   sending ──(puppet accepted)──► sent
 *   sending ──(failed every retry, or a media item with no fallback skipped)──► dropped
 *   queued ──(restart, ≤ 10 min late, still wanted)──► queued again (re-sent)
 *   queued ──(restart, too late / no longer wanted)──► skipped
 *
 * "queued" is written before the text enters the send queue (ctx.sayIn waits for the store),
 * so after a crash every delivery the old process could have sent is in the store. A part
 * found `sending` after a restart is never sent again: the puppet may have taken it, and a
 * message missed is better than one twice. A part still `queued` was never handed to the
 * puppet, so it is safe to send. A delivery that exists is never created again, which is what
 * makes a reload (or a job firing twice) harmless; `inFlight` (the skill's memory) tells the
 * deliveries this process queued itself from those an earlier process left behind.
 */
import type { AloneReason } from '../send/Item.js'
import type { Json } from '../store/StorageAdapter.js'
import { segment } from '../store/Store.js'
import { isMediaMark, isMention, type Segment } from '../text/Outgoing.js'
import { DEFAULT_MAX_LATE_MS } from './jobs.js'
import type { GroupContext } from './Skill.js'

export type PartState = 'queued' | 'sending' | 'sent' | 'dropped' | 'skipped'

/** One slot in one room. Skills add their own fields (which live, which post…). */
export interface Delivery {
  slot: string
  room: string
  /** When it was meant to go out: the 10-minute bound after a restart counts from here. */
  due: number
  parts: PartState[]
  updatedAt: number
  note?: string
}

/** What a skill tells the state machine about its deliveries. */
export interface DeliveryHooks<D extends Delivery> {
  /**
   * The messages of a delivery as they read now (at dispatch, and again after a restart), or
   * why it is no longer to be sent (a cancelled live, one that started).
   */
  messages(d: D, now: number): Segment[][] | string
  /** A send-queue tag to withdraw its waiting texts by (`#live cancel`). */
  tag?(d: D): string | undefined
  /** May a part share a message with other texts of a backlogged room? (default: no) */
  /** Why a delivery stands alone (its own message); undefined: it may merge with neighbours. */
  alone?(d: D): AloneReason | undefined
  /** What the log line calls it (`live reminder`, `post`). */
  what(d: D): string
}

/** The contract's bound: something that fell due while the bot was down is sent at most this late. */
export const MAX_LATE_MS = DEFAULT_MAX_LATE_MS

export class Deliveries<D extends Delivery> {
  constructor(
    private readonly ctx: GroupContext<unknown, unknown>,
    /** The skill's memory: deliveries this process queued (see above). */
    private readonly inFlight: Set<string>,
    private readonly hooks: DeliveryHooks<D>,
    private readonly prefix = 'sends/',
  ) {}

  key(slotId: string, roomId: string): string {
    return `${this.prefix}${segment(slotId)}/${segment(roomId)}`
  }

  get(slotId: string, roomId: string): D | undefined {
    return this.ctx.store.get<D>(this.key(slotId, roomId))
  }

  /** Has any room got (or been queued, or skipped) this slot? */
  anyFor(slotId: string): boolean {
    return this.ctx.store.keys(`${this.prefix}${segment(slotId)}/`).length > 0
  }

  /** Every delivery, keyed by its store key (relative to the skill's group slice). */
  all(): Array<[string, D]> {
    return this.ctx.store.entries<D>(this.prefix)
  }

  /** Queue a slot's messages in a room, unless this room has it already. False: it had. */
  dispatch(fields: Omit<D, 'parts' | 'updatedAt'>): boolean {
    const k = this.key(fields.slot, fields.room)
    if (this.ctx.store.get<D>(k)) {
      this.ctx.log.debug({ slot: fields.slot, room: fields.room }, 'already queued or sent in this room; not again')
      return false
    }
    const now = this.ctx.clock.now()
    const d = { ...fields, parts: [], updatedAt: now } as unknown as D
    const rendered = this.hooks.messages(d, now)
    if (typeof rendered === 'string') {
      this.record(fields, rendered)
      return true
    }
    const parts = partsOf(rendered)
    const delivery = { ...d, parts: parts.map(() => 'queued') } as D
    // written (synchronously) before sayIn, which waits for it to be on disk before sending
    this.ctx.store.set(k, delivery as unknown as Json)
    this.send(k, delivery, parts, parts.map((_, i) => i))
    this.ctx.log.info({ slot: fields.slot, room: fields.room, messages: parts.length, lateMs: Math.max(0, now - fields.due) }, `${this.hooks.what(delivery)} queued`)
    return true
  }

  /** A slot that will not go out in this room, with why: one line of the delivery log. */
  record(fields: Omit<D, 'parts' | 'updatedAt'>, why: string): void {
    const k = this.key(fields.slot, fields.room)
    if (this.ctx.store.get<D>(k)) return
    this.ctx.store.set(k, { ...fields, parts: ['skipped'], updatedAt: this.ctx.clock.now(), note: why } as unknown as Json)
  }

  /**
   * After a start (and harmlessly after a reload): deliveries an earlier process queued but
   * never handed to the puppet are sent now if at most 10 minutes late, else skipped.
   */
  resume(): void {
    const now = this.ctx.clock.now()
    for (const [k, d] of this.all()) {
      if (this.inFlight.has(k)) continue
      const waiting = d.parts.flatMap((p, i) => (p === 'queued' ? [i] : []))
      if (waiting.length === 0) continue
      const rendered = now - d.due > MAX_LATE_MS ? 'more than 10 minutes late' : this.hooks.messages(d, now)
      if (typeof rendered === 'string') {
        this.setParts(k, waiting, 'skipped', `not sent after a restart: ${rendered}`)
        this.ctx.log.warn({ slot: d.slot, room: d.room, lateMs: now - d.due }, `a ${this.hooks.what(d)} queued before the restart was not sent: ${rendered}`)
        continue
      }
      const parts = partsOf(rendered)
      const resend = waiting.filter((i) => i < parts.length)
      this.ctx.log.info({ slot: d.slot, room: d.room, parts: resend.length, lateMs: now - d.due }, `a ${this.hooks.what(d)} queued before the restart is sent now`)
      this.send(k, d, parts, resend)
    }
  }

  forget(k: string): void {
    this.ctx.store.delete(k)
  }

  /** Resolves once the store is durable; rejects (and skips the part) if that is after `deadline`. */
  private storedBy(k: string, part: number, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.ctx.clock.at(deadline, () => {
        this.setParts(k, [part], 'skipped', 'not stored within 10 minutes of its time (data dir not writable)', 'queued')
        this.ctx.log.warn({ delivery: k, part }, 'a scheduled message could not be stored within 10 minutes of its time; skipped')
        reject(new Error('not stored within 10 minutes of its time'))
      })
      this.ctx.durable().then(
        () => {
          timer.cancel()
          resolve()
        },
        (err: Error) => {
          timer.cancel()
          reject(err)
        },
      )
    })
  }

  private send(k: string, d: D, parts: Segment[][], indexes: number[]): void {
    this.inFlight.add(k)
    const tag = this.hooks.tag?.(d)
    const alone = this.hooks.alone ? this.hooks.alone(d) : 'person'
    const sends = indexes.map((i) =>
      this.ctx.sayIn(d.room, parts[i]!, {
        // never dropped for a rush, at most once (beforeSend)
        kind: 'scheduled',
        ...(tag ? { tag } : {}),
        ...(alone ? { mergeable: false as const, because: alone } : { mergeable: true as const }),
        // said once its "queued" is on disk; if the disk fails until 10 minutes after its time
        // (full), it is not said late but skipped, as after a restart
        after: this.storedBy(k, i, d.due + MAX_LATE_MS),
        beforeSend: async () => {
          this.setParts(k, [i], 'sending')
          await this.ctx.durable()
        },
        onSent: () => this.setParts(k, [i], 'sent'),
        // still `queued` = never handed to the puppet (shutting down): a restart may send it
        onDropped: (reason) => this.setParts(k, [i], 'dropped', reason, 'sending'),
      }),
    )
    void Promise.allSettled(sends).then(() => this.inFlight.delete(k))
  }

  /** Move parts to `to` (only those in state `from`, when given). */
  private setParts(k: string, indexes: number[], to: PartState, note?: string, from?: PartState): void {
    const d = this.ctx.store.get<D>(k)
    if (!d) return
    const moves = (p: PartState, i: number): boolean => indexes.includes(i) && (!from || p === from) && p !== to
    if (!d.parts.some(moves)) return
    const parts = d.parts.map((p, i) => (moves(p, i) ? to : p))
    try {
      this.ctx.store.set(k, { ...d, parts, updatedAt: this.ctx.clock.now(), ...(note ? { note } : {}) } as unknown as Json)
    } catch (err) {
      // the store closes last at shutdown; a late callback has nothing left to record into
      this.ctx.log.debug({ err, delivery: k, to }, 'could not record a delivery state')
    }
  }
}

/**
 * Each message of a delivery cut into single messages: a media item (or a break of a reply
 * list) starts a new part, so each part is one message with its own state.
 */
export function partsOf(messages: readonly Segment[][]): Segment[][] {
  const out: Segment[][] = []
  for (const m of messages) {
    let cur: Segment[] = []
    const flush = (): void => {
      if (cur.some((s) => typeof s !== 'string' || s.trim() !== '')) out.push(cur)
      cur = []
    }
    for (const s of m) {
      if (typeof s === 'string' || isMention(s)) cur.push(s)
      else if (isMediaMark(s)) {
        flush()
        out.push([s])
      } else flush()
    }
    flush()
  }
  return out
}

/** How a delivery went, for the delivery log: sent, skipped, failed, or still on its way. */
export function deliveryStatus(d: Delivery): { status: 'sent' | 'skipped' | 'failed' | 'pending'; reason?: string } {
  if (d.parts.some((p) => p === 'dropped')) return { status: 'failed', reason: d.note }
  if (d.parts.every((p) => p === 'sent')) return { status: 'sent' }
  if (d.parts.some((p) => p === 'skipped')) return { status: 'skipped', reason: d.note }
  return { status: 'pending' }
}
