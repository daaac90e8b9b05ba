/**
 * Deliveries: every scheduled text of the live skill, per room, with its state in the store,
 * so that a reminder or start message is sent at most once per room — also across restarts
 * and reloads — and one that was waiting when the bot went down is sent late only within
 * 10 minutes.
 *
 * The state machine. A *slot* is one planned send of a live for the whole group: a reminder
 * (`remind-1h`) or the start message (`start`). Its record is the durable job
 * (`core/jobs/live/<group>/<live ref>|<slot>`, see LiveSchedule):
 *
 *   planned ──(falls due)──► fired ──► deliveries below, one per room of the group
 *      │  ▲                    │
 *      │  └──(held by quiet hours until the window ends; retried while the rooms
 *      │      are not known yet after a start)
 *      ├──(overdue > 10 min after a restart)──► missed   (JobRunner logs it)
 *      └──(live cancelled / removed / moved)──► cancelled
 *   fired but not sent: the live started already, a later reminder is due as well (only
 *   the latest is sent), or quiet hours last past the start — logged, no deliveries.
 *
 * A *delivery* is that slot in one room (`sends/<live ref>|<slot>/<room>`). A start message
 * with many subscribers is several messages (parts); each part has its own state:
 *
 *   queued ──(beforeSend: written and on disk before the puppet call)──► sending
 *   sending ──(puppet accepted)──► sent
 *   sending ──(failed every retry)──► dropped
 *   queued ──(restart, ≤ 10 min late, live still ahead)──► queued again (re-sent)
 *   queued ──(restart, too late / live started / cancelled)──► skipped
 *
 * "queued" is written before the text enters the send queue (ctx.sayIn waits for the store),
 * so after a crash every delivery the old process could have sent is in the store. A part
 * found `sending` after a restart is never sent again: the puppet may have taken it, and a
 * reminder missed is better than a reminder twice. A part still `queued` was never handed to
 * the puppet, so it is safe to send. A delivery that exists is never created again, which is
 * what makes a reload (or a job firing twice) harmless; `memory.inFlight` tells the
 * deliveries this process queued itself from those an earlier process left behind.
 */
import type { Segment } from '../../src/text/Outgoing.js'
import { segment } from '../../src/store/Store.js'
import { MAX_LATE_MS, type LiveCtx } from './context.js'
import type { Live } from './LiveCatalog.js'
import { Subscriptions } from './Subscriptions.js'
import { reminderText, startMessages } from './texts.js'

export type PartState = 'queued' | 'sending' | 'sent' | 'dropped' | 'skipped'

/** What a slot is about: enough to render its text again after a restart. */
export interface SlotRef {
  /** `<live ref>|<slot name>`: the job id too. */
  id: string
  ref: string
  kind: 'remind' | 'start'
}

export interface Delivery {
  slot: string
  live: string
  kind: SlotRef['kind']
  room: string
  /** When it was meant to go out: the 10-minute bound after a restart counts from here. */
  due: number
  parts: PartState[]
  updatedAt: number
  note?: string
}

export class Deliveries {
  constructor(private readonly ctx: LiveCtx) {}

  /** Has any room got (or been queued) this slot? Sent stays sent, also when the live moves. */
  anyFor(slotId: string): boolean {
    return this.ctx.store.keys(`sends/${segment(slotId)}/`).length > 0
  }

  /** Every delivery, keyed by its store key (relative to the skill's group slice). */
  all(): Array<[string, Delivery]> {
    return this.ctx.store.entries<Delivery>('sends/')
  }

  /** Queue a slot's text(s) in a room, unless this room has it already. */
  dispatch(slot: SlotRef, live: Live, roomId: string, due: number): void {
    const k = key(slot.id, roomId)
    if (this.ctx.store.get<Delivery>(k)) {
      this.ctx.log.debug({ slot: slot.id, room: roomId }, 'already queued or sent in this room; not again')
      return
    }
    const now = this.ctx.clock.now()
    const messages = this.render(slot, live, roomId, now)
    const delivery: Delivery = { slot: slot.id, live: slot.ref, kind: slot.kind, room: roomId, due, parts: messages.map(() => 'queued'), updatedAt: now }
    // written (synchronously) before sayIn, which waits for it to be on disk before sending
    this.ctx.store.set(k, delivery)
    this.send(k, slot.kind, roomId, messages, messages.map((_, i) => i), due)
    this.ctx.log.info({ slot: slot.id, room: roomId, messages: messages.length, lateMs: Math.max(0, now - due) }, `live ${slot.kind === 'start' ? 'start message' : 'reminder'} queued`)
  }

  /**
   * After a start (and harmlessly after a reload): deliveries an earlier process queued but
   * never handed to the puppet are sent now if at most 10 minutes late, else skipped.
   */
  resume(findLive: (ref: string) => Live | undefined): void {
    const now = this.ctx.clock.now()
    for (const [k, d] of this.all()) {
      if (this.ctx.memory.inFlight.has(k)) continue
      const waiting = d.parts.flatMap((p, i) => (p === 'queued' ? [i] : []))
      if (waiting.length === 0) continue
      const live = findLive(d.live)
      if (!live || now - d.due > MAX_LATE_MS || (d.kind === 'remind' && now >= live.start)) {
        const why = !live ? 'the live was cancelled or removed' : now - d.due > MAX_LATE_MS ? 'more than 10 minutes late' : 'the live has started'
        this.setParts(k, waiting, 'skipped', `not sent after a restart: ${why}`)
        this.ctx.log.warn({ slot: d.slot, room: d.room, lateMs: now - d.due }, `a live message queued before the restart was not sent: ${why}`)
        continue
      }
      const slot: SlotRef = { id: d.slot, ref: d.live, kind: d.kind }
      const messages = this.render(slot, live, d.room, now)
      const parts = waiting.filter((i) => i < messages.length)
      this.ctx.log.info({ slot: d.slot, room: d.room, parts: parts.length, lateMs: now - d.due }, 'a live message queued before the restart is sent now')
      this.send(k, d.kind, d.room, messages, parts, d.due)
    }
  }

  forgetLive(ref: string): void {
    for (const [k, d] of this.all()) if (d.live === ref) this.ctx.store.delete(k)
  }

  private render(slot: SlotRef, live: Live, roomId: string, now: number): Segment[][] {
    if (slot.kind === 'remind') return [reminderText(this.ctx, live, now)]
    return startMessages(this.ctx, live, new Subscriptions(this.ctx.store).inRoom(live.ref, roomId))
  }

  /** Resolves once the store is durable; rejects (and skips the part) if that is after `deadline`. */
  private storedBy(k: string, part: number, deadline: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = this.ctx.clock.at(deadline, () => {
        this.setParts(k, [part], 'skipped', 'not stored within 10 minutes of its time (data dir not writable)', 'queued')
        this.ctx.log.warn({ delivery: k, part }, 'a live message could not be stored within 10 minutes of its time; skipped')
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

  private send(k: string, kind: SlotRef['kind'], roomId: string, messages: Segment[][], parts: number[], due: number): void {
    const inFlight = this.ctx.memory.inFlight
    inFlight.add(k)
    const live = this.ctx.store.get<Delivery>(k)?.live
    const sends = parts.map((i) =>
      this.ctx.sayIn(roomId, messages[i]!, {
        // never dropped for a rush, at most once (beforeSend), and withdrawn by `#live cancel`
        kind: 'scheduled',
        tag: liveTag(live ?? ''),
        // a reminder may share a message with other texts of a backlogged room (many lives due in
        // the same minute are then one message, not many); the start message's parts stay
        // apart, or merging would undo the 20-mentions-per-message split
        ...(kind === 'remind' ? { mergeable: true } : { mergeable: false, because: 'mentions' }),
        // said once its "queued" is on disk; if the disk fails until 10 minutes after its time
        // (full), it is not said late but skipped, as after a restart
        after: this.storedBy(k, i, due + MAX_LATE_MS),
        beforeSend: async () => {
          this.setParts(k, [i], 'sending')
          await this.ctx.durable()
        },
        onSent: () => this.setParts(k, [i], 'sent'),
        // still `queued` = never handed to the puppet (shutting down): a restart may send it
        onDropped: (reason) => this.setParts(k, [i], 'dropped', reason, 'sending'),
      }),
    )
    void Promise.allSettled(sends).then(() => inFlight.delete(k))
  }

  /** Move parts to `to` (only those in state `from`, when given). */
  private setParts(k: string, indexes: number[], to: PartState, note?: string, from?: PartState): void {
    const d = this.ctx.store.get<Delivery>(k)
    if (!d) return
    const moves = (p: PartState, i: number): boolean => indexes.includes(i) && (!from || p === from) && p !== to
    if (!d.parts.some(moves)) return
    const parts = d.parts.map((p, i) => (moves(p, i) ? to : p))
    try {
      this.ctx.store.set<Delivery>(k, { ...d, parts, updatedAt: this.ctx.clock.now(), ...(note ? { note } : {}) })
    } catch (err) {
      // the store closes last at shutdown; a late callback has nothing left to record into
      this.ctx.log.debug({ err, delivery: k, to }, 'could not record a delivery state')
    }
  }
}

/** Where a delivery lives in the store. */
export function key(slotId: string, roomId: string): string {
  return `sends/${segment(slotId)}/${segment(roomId)}`
}

/** The send-queue tag of a live's texts: `#live cancel` withdraws those still waiting. */
export function liveTag(ref: string): string {
  return `live:${ref}`
}
