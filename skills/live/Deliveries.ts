/**
 * The live skill's deliveries: a reminder or start message per room, sent at most once — also
 * across restarts and reloads — and one that was waiting when the bot went down sent late only
 * within 10 minutes. The state machine is the core's (src/engine/Deliveries.ts, shared with
 * posts); this says what a live's delivery is and how it reads.
 *
 * A *slot* is one planned send of a live for the whole group: a reminder (`remind-1h`) or the
 * start message (`start`). Its record is the durable job
 * (`core/jobs/live/<group>/<live ref>|<slot>`, see LiveSchedule):
 *
 *   planned ──(falls due)──► fired ──► deliveries, one per room of the group
 *      │  ▲                    │
 *      │  └──(held by quiet hours until the window ends; retried while the rooms
 *      │      are not known yet after a start)
 *      ├──(overdue > 10 min after a restart)──► missed   (JobRunner logs it)
 *      └──(live cancelled / removed / moved)──► cancelled
 *   fired but not sent: the live started already, a later reminder is due as well (only
 *   the latest is sent), or quiet hours last past the start — logged, no deliveries.
 *
 * A delivery is that slot in one room (`sends/<live ref>|<slot>/<room>`); a start message
 * with many subscribers, or a reminder with media items, is several parts, each with its own
 * state (queued → sending → sent | dropped; queued → skipped after a restart too late or once
 * the live is cancelled or has started). A part found `sending` after a restart is never sent
 * again.
 */
import { Deliveries as CoreDeliveries, type Delivery as CoreDelivery } from '../../src/engine/Deliveries.js'
import type { Segment } from '../../src/text/Outgoing.js'
import { segment } from '../../src/store/Store.js'
import type { LiveCtx } from './context.js'
import { LiveCatalog, type Live } from './LiveCatalog.js'
import { Subscriptions } from './Subscriptions.js'
import { reminderText, startMessages } from './texts.js'

export type { PartState } from '../../src/engine/Deliveries.js'

/** What a slot is about: enough to render its text again after a restart. */
export interface SlotRef {
  /** `<live ref>|<slot name>`: the job id too. */
  id: string
  ref: string
  kind: 'remind' | 'start'
}

export interface Delivery extends CoreDelivery {
  live: string
  kind: SlotRef['kind']
}

export class Deliveries {
  private readonly core: CoreDeliveries<Delivery>
  /** How a delivery's live is found when it is rendered (dispatch: the live at hand). */
  private findLive: (ref: string) => Live | undefined

  constructor(private readonly ctx: LiveCtx) {
    this.findLive = (ref) => new LiveCatalog(ctx).byRef(ref)
    this.core = new CoreDeliveries<Delivery>(ctx as never, ctx.memory.inFlight, {
      messages: (d, now) => {
        const live = this.findLive(d.live)
        if (!live) return 'the live was cancelled or removed'
        if (d.kind === 'remind' && now >= live.start) return 'the live has started'
        return this.render(d.kind, live, d.room, now)
      },
      tag: (d) => liveTag(d.live),
      // a reminder may share a message with other texts of a backlogged room (many lives due in
      // the same minute are then one message, not many); the start message's parts stay
      // apart, or merging would undo the 20-mentions-per-message split
      // a reminder may share a message with other texts of a backlogged room; the start
      // message's parts stay apart, or merging would undo the 20-mentions-per-message split
      alone: (d) => (d.kind === 'remind' ? undefined : 'mentions'),
      what: (d) => (d.kind === 'start' ? 'live start message' : 'live reminder'),
    })
  }

  /** Has any room got (or been queued) this slot? Sent stays sent, also when the live moves. */
  anyFor(slotId: string): boolean {
    return this.core.anyFor(slotId)
  }

  /** Every delivery, keyed by its store key (relative to the skill's group slice). */
  all(): Array<[string, Delivery]> {
    return this.core.all()
  }

  /** Queue a slot's text(s) in a room, unless this room has it already. */
  dispatch(slot: SlotRef, live: Live, roomId: string, due: number): void {
    this.findLive = (ref) => (ref === live.ref ? live : new LiveCatalog(this.ctx).byRef(ref))
    this.core.dispatch({ slot: slot.id, live: slot.ref, kind: slot.kind, room: roomId, due })
  }

  /**
   * After a start (and harmlessly after a reload): deliveries an earlier process queued but
   * never handed to the puppet are sent now if at most 10 minutes late, else skipped.
   */
  resume(findLive: (ref: string) => Live | undefined): void {
    this.findLive = findLive
    this.core.resume()
  }

  forgetLive(ref: string): void {
    for (const [k, d] of this.all()) if (d.live === ref) this.core.forget(k)
  }

  private render(kind: SlotRef['kind'], live: Live, roomId: string, now: number): Segment[][] {
    if (kind === 'remind') return [reminderText(this.ctx, live, now)]
    return startMessages(this.ctx, live, new Subscriptions(this.ctx.store).inRoom(live.ref, roomId))
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
