import type { Job } from '../../src/engine/jobs.js'
import type { JobContext } from '../../src/engine/Skill.js'
import type { LiveConfig } from './config.js'
import { MAX_LATE_MS, RETAIN_MS, type LiveCtx, type LiveMemory } from './context.js'
import { Deliveries, type SlotRef } from './Deliveries.js'
import { LiveCatalog, type Live } from './LiveCatalog.js'
import { Subscriptions } from './Subscriptions.js'
import { shortDuration } from './texts.js'

/**
 * When each live's texts go out: one durable job per slot (each reminder offset, and the
 * start), re-planned from the config and the store at every start, reload and `#live`
 * command. The states are described in Deliveries.ts.
 */

/** A job's data: which live and slot, and the start it was planned for. */
export type SlotData = {
  ref: string
  kind: SlotRef['kind']
  /** Before the start (ms); 0 for the start message. */
  offset: number
  /** The live's start this slot was planned for: a moved live re-plans its unsent slots. */
  start: number
  /** When it is meant to go out: the slot's time, or the end of the quiet hours holding it. */
  dueAt: number
}

export function slotName(kind: SlotRef['kind'], offset: number): string {
  return kind === 'start' ? 'start' : `remind-${shortDuration(offset)}`
}

export function slotId(ref: string, kind: SlotRef['kind'], offset: number): string {
  return `${ref}|${slotName(kind, offset)}`
}

function slotsOf(live: Live, remind: readonly number[]): Array<{ kind: SlotRef['kind']; offset: number; at: number }> {
  return [...remind.map((offset) => ({ kind: 'remind' as const, offset, at: live.start - offset })), { kind: 'start' as const, offset: 0, at: live.start }]
}

/**
 * Make the planned jobs match the lives: plan new slots, re-plan the unsent slots of a live
 * whose start moved, cancel the slots of cancelled or removed lives (and of offsets no
 * longer in `remind`). A slot unchanged since it was planned is left alone, whatever its
 * state: that is what keeps a reload from sending anything twice.
 */
export function syncSchedule(ctx: LiveCtx): void {
  const now = ctx.clock.now()
  const lives = new LiveCatalog(ctx).refresh(now)
  const deliveries = new Deliveries(ctx)
  const wanted = new Set<string>()
  for (const live of lives) {
    for (const slot of slotsOf(live, ctx.config.remind)) {
      const id = slotId(live.ref, slot.kind, slot.offset)
      wanted.add(id)
      const job = ctx.jobs.get(id)
      if (job && job.state !== 'cancelled' && (job.data as SlotData | null)?.start === live.start) {
        releaseHeld(ctx, job, slot.at, now)
        continue
      }
      if (deliveries.anyFor(id)) continue
      if (slot.at < now - MAX_LATE_MS) {
        // its time was long gone when this live (or this start) became known: not a send the bot missed
        if (job?.state === 'planned') ctx.jobs.cancel(id)
        continue
      }
      const data: SlotData = { ref: live.ref, kind: slot.kind, offset: slot.offset, start: live.start, dueAt: slot.at }
      ctx.jobs.plan(id, slot.at, data)
      ctx.log.debug({ live: live.id, slot: id, at: new Date(slot.at).toISOString() }, job ? 're-planned a live message' : 'planned a live message')
    }
  }
  for (const job of ctx.jobs.list()) {
    if (job.state === 'planned' && !wanted.has(job.id)) {
      ctx.jobs.cancel(job.id)
      ctx.log.info({ slot: job.id }, 'live message cancelled (live cancelled, removed or moved, or reminder offset removed)')
    }
  }
  pruneOld(ctx, now)
}

/**
 * A reminder held by quiet hours is planned for the end of the window, past its slot's time.
 * It waits only while the quiet hours (as configured now) still hold it: a reload that
 * removed them releases it at once, one that moved them re-plans it for the new end.
 */
function releaseHeld(ctx: LiveCtx, job: Job, slotAt: number, now: number): void {
  if (job.state !== 'planned' || job.at <= slotAt || job.at <= now) return
  const quiet = ctx.bot.quietHours
  const until = quiet && ctx.time.inWindow(now, quiet) ? ctx.time.windowEnd(now, quiet) : now
  if (until === job.at) return
  ctx.jobs.plan(job.id, until, { ...(job.data as SlotData), dueAt: until })
  ctx.log.info({ slot: job.id, until: new Date(until).toISOString() }, until === now ? 'quiet hours no longer hold this reminder; released' : 'quiet hours changed; reminder held until their new end')
}

/** A slot fell due: hold it, skip it, or queue it in every room of the group. */
export function onSlotDue(ctx: JobContext<LiveConfig, LiveMemory>): void {
  const job = ctx.job
  const data = job.data as unknown as SlotData
  const log = ctx.log.child({ slot: job.id })
  const live = new LiveCatalog(ctx).byRef(data.ref)
  if (!live) {
    log.info('live cancelled or removed; its message is not sent')
    return
  }
  if (live.start !== data.start) {
    log.info('the live has moved; this message was planned for the old time and is not sent')
    return
  }
  const now = ctx.clock.now()
  if (data.kind === 'remind') {
    if (now >= live.start) {
      log.info('the live has started; its reminder is not sent')
      return
    }
    const quiet = ctx.bot.quietHours
    if (quiet && ctx.time.inWindow(now, quiet)) {
      const end = ctx.time.windowEnd(now, quiet)
      if (end >= live.start) {
        log.info({ quietHours: quiet.source }, 'quiet hours last until the live starts; its reminder is not sent')
        return
      }
      ctx.jobs.plan(job.id, end, { ...data, dueAt: end })
      log.info({ quietHours: quiet.source, until: new Date(end).toISOString() }, 'reminder held by quiet hours')
      return
    }
    // several reminders due at once (held by quiet hours, or late after a restart): only the latest
    if (ctx.config.remind.some((o) => o < data.offset && live.start - o <= now)) {
      log.info('a later reminder of this live is due as well; only that one is sent')
      return
    }
  }
  // jobs run only once the rooms are known (the engine holds them until the login)
  const rooms = ctx.rooms()
  if (rooms.length === 0) {
    ctx.log.warn({ slot: job.id }, 'the bot is in no room of this group; the live message is not sent')
    return
  }
  const deliveries = new Deliveries(ctx)
  const slot: SlotRef = { id: job.id, ref: data.ref, kind: data.kind }
  for (const room of rooms) deliveries.dispatch(slot, live, room.id, data.dueAt)
}

/** Lives that took place a month ago: forget their jobs, deliveries and subscriptions. */
export function pruneOld(ctx: LiveCtx, now: number): void {
  const cutoff = now - RETAIN_MS
  const old = new Set<string>()
  for (const job of ctx.jobs.list()) {
    const data = job.data as SlotData | null
    if (job.state !== 'planned' && data && data.start < cutoff) {
      ctx.jobs.forget(job.id)
      old.add(data.ref)
    }
  }
  const deliveries = new Deliveries(ctx)
  const subs = new Subscriptions(ctx.store)
  for (const ref of old) {
    deliveries.forgetLive(ref)
    subs.forget(ref)
  }
  const catalog = new LiveCatalog(ctx)
  for (const a of catalog.storedAdded()) if (a.start < cutoff) catalog.forgetAdded(a.id)
  catalog.forgetRemovedConfigLives(cutoff)
}
