import type { Logger } from 'pino'
import type { Clock, Timer } from '../clock/Clock.js'
import { MAX_TEXT_LENGTH, renderOutgoing, type Segment } from '../text/Outgoing.js'
import { DropLog } from './DropLog.js'
import { Item, type DropCause, type EnqueueOptions, type MediaItem, type SendKind, type SendResult } from './Item.js'
import type { MediaKind } from '../config/mediaSchema.js'
import { Lane } from './Lane.js'
import { outcomeUnknown } from './sendErrors.js'
import { SlidingWindow } from './SlidingWindow.js'

export type { Asker, Coalesce, DropCause, EnqueueOptions, Item, MediaItem, SendKind, SendResult } from './Item.js'

/** What the engine and the skills use of a queue (one queue, or one per account behind a router). */
export type OutgoingQueue = Pick<SendQueue, 'enqueue' | 'withdraw' | 'mediaLeft'>

/**
 * How a media item went: as itself, as its fallback text (the account cannot send it: the
 * puppet refuses the kind, the day's budget is spent, a fetch failed), or not at all (no
 * fallback). A send that may be tried again (no connection) rejects instead.
 */
export type MediaOutcome = { as: 'media' } | { as: 'fallback'; reason: string } | { as: 'skipped'; reason: string }

/** Where texts finally go: the puppet. `conversationId` is a room id or a contact id. */
export interface Transport {
  send(conversationId: string, text: string, mentionIds: string[]): Promise<void>
  /** A media item (src/media/MediaSender.ts). Without it, media items are skipped. */
  sendMedia?(conversationId: string, media: MediaItem): Promise<MediaOutcome>
  /** How many more of a kind this account may send today (its `bot.rateLimit.perDay` budget). */
  mediaBudgetLeft?(kind: MediaKind): number
  /** False while the puppet is known to be disconnected: failures then spend no tries. */
  connected?(): boolean
}

export interface RateLimits {
  roomPerMinute: number
  totalPerMinute: number
}

export interface SendQueueOptions {
  clock: Clock
  /** false: no limits and no spacing (benches, tests of other things). */
  limits: RateLimits | false
  log?: Logger
  /** Pause between two messages, drawn in [min, max] ms so the rhythm is not machine-like. */
  gapMs?: [number, number]
  random?: () => number
  /** Tries per message while connected, before it is given up on (default 6: about 30 s). */
  maxAttempts?: number
  /** First retry delay, doubled per try up to 30 s (default 1 s). */
  retryBaseMs?: number
  maxLength?: number
  /** An informational reply not sent this long after it was asked is dropped (default 2 min). */
  infoTtlMs?: number
  /** What waits for a room is bounded by what its limit sends in this many minutes (default 3). */
  backlogMinutes?: number
}

export interface SendQueueStats {
  enqueued: number
  sent: number
  merged: number
  /** Asks answered by a reply already waiting (no text of their own). */
  coalesced: number
  retries: number
  dropped: number
  droppedByKind: Record<SendKind, number>
  droppedByCause: Record<DropCause, number>
  /** Media items sent as themselves, as their fallback text, or skipped (no fallback). */
  media: { sent: number; fallback: number; skipped: number }
}

export const INFO_TTL_MS = 120_000

/**
 * The "per minute" of `bot.rateLimit`, with a second to spare: WeChat counts a message when it
 * arrives, and the time from here to there varies (the event loop, gRPC) — by tens of ms on a
 * busy machine, enough for 61 texts to arrive within 60 s when the queue spaced them exactly
 * 60 s apart (the rush fault test saw 61 within 59.97 s). A second costs under 2 % of the budget.
 */
export const LIMIT_WINDOW_MS = 61_000

/**
 * Every outgoing text goes through here. It keeps the bot under `bot.rateLimit` (per room
 * and in total, over any 60 s), spaces messages with a little jitter, retries failed sends
 * (and waits, without counting tries, while the puppet is disconnected), and when texts pile
 * up for a room sends them as one merged message.
 *
 * Under a rush that lasts it degrades by what each text is (see `SendKind`): owed texts go
 * first everywhere (a room's owed tier before its informational replies, and a room with an
 * owed text before rooms with only informational ones), informational replies coalesce and
 * expire, and what waits for a room stays within what its limit can send in the next few
 * minutes, so memory stays flat however long the rush lasts.
 *
 * Hand-written: rate-limit libraries (bottleneck, p-queue) limit one dimension and cannot
 * merge or coalesce queued payloads, expire by kind, or run on an injected clock.
 */
export class SendQueue {
  private readonly lanes = new Map<string, Lane>()
  private total: SlidingWindow | undefined
  private lastSendAt = -Infinity
  private nextGap = 0
  private timer: Timer | undefined
  private timerAt = Infinity
  private sweep: Timer | undefined
  private sweepAt = Infinity
  private kicked = false
  private online = true
  private inFlight = 0
  private closed = false
  private overLogged = new Map<string, number>()
  private gapMs: [number, number]
  private readonly random: () => number
  private readonly maxAttempts: number
  private readonly retryBaseMs: number
  private readonly maxLength: number
  private readonly infoTtlMs: number
  private readonly drops: DropLog
  readonly stats: SendQueueStats = {
    enqueued: 0,
    sent: 0,
    merged: 0,
    coalesced: 0,
    retries: 0,
    dropped: 0,
    droppedByKind: { owed: 0, info: 0, scheduled: 0 },
    droppedByCause: { expired: 0, full: 0, shutdown: 0, failed: 0, ambiguous: 0, 'not-stored': 0, withdrawn: 0, media: 0 },
    media: { sent: 0, fallback: 0, skipped: 0 },
  }
  /** Media items waiting per kind (what today's budget must still cover). */
  private readonly mediaWaiting: Record<MediaKind, number> = { image: 0, file: 0, link: 0, miniProgram: 0 }

  constructor(
    private readonly transport: Transport,
    private readonly options: SendQueueOptions,
  ) {
    this.total = options.limits ? new SlidingWindow(options.limits.totalPerMinute, LIMIT_WINDOW_MS) : undefined
    this.gapMs = options.limits ? (options.gapMs ?? [400, 1200]) : [0, 0]
    this.random = options.random ?? Math.random
    this.maxAttempts = options.maxAttempts ?? 6
    this.retryBaseMs = options.retryBaseMs ?? 1000
    this.maxLength = options.maxLength ?? MAX_TEXT_LENGTH
    this.infoTtlMs = options.infoTtlMs ?? INFO_TTL_MS
    this.drops = new DropLog(options.clock, options.log, this.infoTtlMs)
  }

  /** Queue a text; resolves when it was sent (or given up on). Never rejects. */
  enqueue(conversationId: string, segments: readonly Segment[], options: EnqueueOptions): Promise<SendResult> {
    if (this.closed) return Promise.resolve({ sent: false, reason: 'shutting down', cause: 'shutdown' })
    return new Promise<SendResult>((settled) => {
      let resolve = settled
      const media = options.media
      if (media) {
        // counted against today's budget while it waits (a post asks how many may still go)
        this.mediaWaiting[media.kind]++
        let done = false
        resolve = (r) => {
          if (!done) this.mediaWaiting[media.kind]--
          done = true
          settled(r)
        }
      }
      const lane = this.lane(conversationId)
      const now = this.options.clock.now()
      const kind = options.kind
      const key = kind === 'info' ? options.coalesce?.key : undefined
      const same = key === undefined ? undefined : lane.byKey.get(key)
      if (same) {
        // the same reply is waiting for this room: this asker is @-ed in it, nothing new queued
        lane.grew(same, same.join(options, resolve))
        this.stats.coalesced++
        return
      }
      const deadline = kind === 'info' ? now + this.infoTtlMs : Infinity
      const item = new Item([...segments], options, resolve, now, deadline)
      this.stats.enqueued++
      if (!this.makeRoom(lane, item)) {
        this.drop(lane, item, 'full', 'the room has more waiting than its limit can send in the next minutes')
        return
      }
      lane.push(item)
      if (kind === 'info') this.armSweep(deadline)
      if (options.after) {
        options.after.then(
          () => {
            item.ready = true
            this.kick()
          },
          (err: Error) => {
            // what the text would confirm is not stored: it must not be said
            if (lane.remove(item)) this.drop(lane, item, 'not-stored', `not stored: ${err.message}`)
            this.kick()
          },
        )
      } else this.kick()
    })
  }

  /**
   * Withdraw every text with this tag still waiting (not one already handed to the puppet):
   * `#live cancel` takes back that live's reminders. Returns how many were withdrawn.
   */
  withdraw(tag: string): number {
    let n = 0
    for (const lane of [...this.lanes.values()]) {
      for (const item of [...lane.owed, ...lane.info]) {
        if (item.options.tag !== tag) continue
        lane.remove(item)
        this.drop(lane, item, 'withdrawn', `withdrawn (${tag})`)
        n++
      }
      this.forgetIfIdle(lane)
    }
    if (n > 0) this.options.log?.info({ tag, texts: n }, 'waiting texts withdrawn')
    return n
  }

  /**
   * How many more media items of a kind this queue's account may send today, counting those
   * already waiting: a post whose media would go over the budget waits for tomorrow.
   */
  mediaLeft(_conversationId: string, kind: MediaKind): number {
    const left = this.transport.mediaBudgetLeft?.(kind) ?? Infinity
    return left - this.mediaWaiting[kind]
  }

  /** Conversations with texts waiting (not counting one in flight). */
  waitingConversations(): string[] {
    return [...this.lanes.values()].filter((l) => l.size > 0).map((l) => l.id)
  }

  /**
   * Take out a conversation's waiting texts to hand them to another account's queue (a room
   * taken over): only texts never handed to the puppet and ready to go — the one in flight
   * stays (if it fails it is put back here and taken on the next call), and one still
   * waiting for the store stays until it is ready. Their callers keep waiting on them.
   */
  takeWaiting(conversationId: string): Item[] {
    const lane = this.lanes.get(conversationId)
    if (!lane) return []
    const taken = [...lane.owed, ...lane.info].filter((i) => i.ready)
    for (const item of taken) lane.remove(item)
    this.forgetIfIdle(lane)
    return taken
  }

  /** Texts taken from another account's queue: first in line for the conversation, in their order. */
  adopt(conversationId: string, items: readonly Item[]): void {
    if (items.length === 0) return
    if (this.closed) {
      for (const item of items) item.finish({ sent: false, reason: 'shutting down', cause: 'shutdown' })
      return
    }
    const lane = this.lane(conversationId)
    lane.putBack(items)
    for (const item of items) if (item.kind === 'info') this.armSweep(item.deadline)
    this.kick()
  }

  /** New limits (a config reload): they apply from the next send. */
  setLimits(limits: RateLimits | false): void {
    const old = this.options.limits
    if (JSON.stringify(old) === JSON.stringify(limits)) return
    this.options.limits = limits
    // keep the recent history: a reload must not open a window for a burst
    const resize = (w: SlidingWindow | undefined, limit: number): SlidingWindow => {
      if (!w) return new SlidingWindow(limit, LIMIT_WINDOW_MS)
      w.limit = limit
      return w
    }
    this.total = limits ? resize(this.total, limits.totalPerMinute) : undefined
    this.gapMs = limits ? (this.options.gapMs ?? [400, 1200]) : [0, 0]
    for (const lane of this.lanes.values()) lane.window = limits ? resize(lane.window, limits.roomPerMinute) : undefined
    this.kick()
  }

  /** The puppet is logged out: hold everything (nothing owed is lost, no tries are spent). */
  pause(): void {
    this.online = false
  }

  resume(): void {
    this.online = true
    for (const lane of this.lanes.values()) lane.retryAt = 0
    this.kick()
  }

  get pending(): number {
    let n = 0
    for (const l of this.lanes.values()) n += l.size
    return n + this.inFlight
  }

  /**
   * Stop: give queued texts up to `graceMs` to go out, then drop the rest — with ONE summary
   * line however many there are (the owed among them were stored; the skills' own records,
   * like the live skill's deliveries, decide what a restart sends again).
   */
  async close(graceMs = 0): Promise<void> {
    const deadline = this.options.clock.now() + graceMs
    while (this.pending > 0 && this.options.clock.now() < deadline && this.online) {
      await new Promise<void>((r) => this.options.clock.after(50, r))
    }
    this.closed = true
    this.timer?.cancel()
    this.sweep?.cancel()
    const left: Record<SendKind, number> = { owed: 0, info: 0, scheduled: 0 }
    let rooms = 0
    for (const lane of this.lanes.values()) {
      if (lane.size > 0) rooms++
      for (const item of [...lane.owed, ...lane.info]) {
        lane.remove(item)
        left[item.kind]++
        this.drop(lane, item, 'shutdown', 'shutting down')
      }
    }
    const unlogged = this.drops.close()
    const texts = left.owed + left.info + left.scheduled
    if (texts > 0 || unlogged > 0) {
      this.options.log?.warn(
        { texts, ...left, conversations: rooms, inFlight: this.inFlight, droppedInRushNotYetLogged: unlogged },
        'shutting down with texts still waiting: not sent',
      )
    }
  }

  private lane(id: string): Lane {
    let lane = this.lanes.get(id)
    if (!lane) {
      lane = new Lane(id, this.options.limits ? new SlidingWindow(this.options.limits.roomPerMinute, LIMIT_WINDOW_MS) : undefined)
      this.lanes.set(id, lane)
    }
    return lane
  }

  /**
   * Keep a room's backlog within what its limit sends in the next `backlogMinutes`. A new
   * informational reply over the bound is refused; an owed text pushes the oldest
   * informational ones out (they are the next to expire anyway) and is taken even over the
   * bound, since it is never dropped — owed texts merge, so that takes a flood of distinct
   * members' confirmations, which a room does not have.
   */
  private makeRoom(lane: Lane, item: Item): boolean {
    const limits = this.options.limits
    if (!limits) return true
    const bound = limits.roomPerMinute * (this.options.backlogMinutes ?? 3)
    if (lane.cost(this.maxLength, item) <= bound) return true
    if (item.kind === 'info') return false
    while (lane.info.length > 0 && lane.cost(this.maxLength, item) > bound) {
      this.drop(lane, lane.shift(lane.info), 'full', 'pushed out by owed texts: the room has more waiting than its limit can send')
    }
    if (lane.cost(this.maxLength, item) > bound) {
      const now = this.options.clock.now()
      if ((this.overLogged.get(lane.id) ?? -Infinity) <= now - 60_000) {
        this.overLogged.set(lane.id, now)
        this.options.log?.warn({ conversation: lane.id, waiting: lane.size, bound }, 'owed texts waiting for a room exceed what its limit sends in the next minutes; kept (never dropped)')
      }
    }
    return true
  }

  private kick(): void {
    if (this.kicked || this.closed) return
    this.kicked = true
    setImmediate(() => {
      this.kicked = false
      this.pump()
    })
  }

  private pump(): void {
    if (this.closed) return
    this.expire(this.options.clock.now())
    if (!this.online) return
    const maxInFlight = this.options.limits ? 1 : 16
    while (this.inFlight < maxInFlight) {
      const now = this.options.clock.now()
      const globalAt = Math.max(this.total?.nextAllowed(now) ?? now, this.lastSendAt + this.nextGap)
      // the earliest allowed first; among those allowed now, owed before informational, then the longest waiting
      let best: Lane | undefined
      let bestAt = Infinity
      let bestTier = 2
      let bestAge = Infinity
      for (const lane of this.lanes.values()) {
        const head = lane.busy ? undefined : lane.head()
        if (!head) continue
        const at = Math.max(now, globalAt, lane.retryAt, lane.window?.nextAllowed(now) ?? now)
        const tier = head.kind === 'info' ? 1 : 0
        if (at < bestAt || (at === bestAt && (tier < bestTier || (tier === bestTier && head.enqueuedAt < bestAge)))) {
          best = lane
          bestAt = at
          bestTier = tier
          bestAge = head.enqueuedAt
        }
      }
      if (!best) return
      if (bestAt > now) {
        this.wakeAt(bestAt)
        return
      }
      this.sendHead(best, now)
    }
  }

  private wakeAt(at: number): void {
    if (this.timer && this.timerAt <= at) return
    this.timer?.cancel()
    this.timerAt = at
    this.timer = this.options.clock.after(at - this.options.clock.now(), () => {
      this.timer = undefined
      this.timerAt = Infinity
      this.pump()
    })
  }

  /** Drop informational replies past their time, also while the puppet is away. */
  private expire(now: number): void {
    for (const lane of [...this.lanes.values()]) {
      while (lane.info.length > 0 && lane.info[0]!.deadline <= now) {
        this.drop(lane, lane.shift(lane.info), 'expired', `not sent within ${Math.round(this.infoTtlMs / 1000)} s`)
      }
      this.forgetIfIdle(lane)
    }
  }

  private armSweep(at: number): void {
    if (this.closed || (this.sweep && this.sweepAt <= at)) return
    this.sweep?.cancel()
    this.sweepAt = at
    this.sweep = this.options.clock.after(at - this.options.clock.now(), () => {
      this.sweep = undefined
      this.sweepAt = Infinity
      this.expire(this.options.clock.now())
      let next = Infinity
      for (const lane of this.lanes.values()) next = Math.min(next, lane.info[0]?.deadline ?? Infinity)
      if (next < Infinity) this.armSweep(next)
      this.kick()
    })
  }

  /**
   * The head, and the ready mergeable texts that still fit: the owed ones right behind it (in
   * order: a confirmation never overtakes an earlier one), then informational replies, which
   * may pass an unmergeable one (a leaderboard) — they promise no order among themselves.
   */
  private takeBatch(lane: Lane): Item[] {
    const first = lane.head()!
    const batch = [lane.shift(first.kind === 'info' ? lane.info : lane.owed)]
    if (!first.mergeable) return batch
    let length = first.length
    const fits = (next: Item) => next.ready && next.mergeable && length + 1 + next.length <= this.maxLength
    if (first.kind !== 'info') {
      while (lane.owed.length > 0 && fits(lane.owed[0]!)) {
        length += 1 + lane.owed[0]!.length
        batch.push(lane.shift(lane.owed))
      }
    }
    for (const next of [...lane.info]) {
      // a reply's texts never pass its media item (the parts of one reply keep their order)
      if (next.options.media) break
      if (!fits(next)) continue
      length += 1 + next.length
      lane.remove(next)
      batch.push(next)
    }
    return batch
  }

  private sendHead(lane: Lane, now: number): void {
    const batch = this.takeBatch(lane)
    const segments: Segment[] = []
    batch.forEach((item, i) => {
      if (i > 0) segments.push('\n')
      segments.push(...item.segments())
    })
    const { text, mentionIds } = renderOutgoing(segments)
    lane.busy = true
    this.inFlight++
    this.lastSendAt = now
    this.nextGap = this.gapMs[0] + this.random() * (this.gapMs[1] - this.gapMs[0])
    // the slot is taken when the send starts, so a slow puppet cannot let a burst through
    lane.window?.record(now)
    this.total?.record(now)
    void this.deliver(lane, batch, text, mentionIds)
  }

  private async deliver(lane: Lane, batch: Item[], text: string, mentionIds: string[]): Promise<void> {
    let called = false
    try {
      for (const item of batch) await item.options.beforeSend?.()
      called = true
      const media = batch[0]!.options.media
      if (media) {
        await this.deliverMedia(lane, batch[0]!, media)
        return
      }
      await this.transport.send(lane.id, text, mentionIds)
      lane.attempts = 0
      this.stats.sent++
      this.stats.merged += batch.length - 1
      if (batch.length > 1) this.options.log?.debug({ conversation: lane.id, merged: batch.length }, 'merged queued texts into one message')
      for (const item of batch) item.finish({ sent: true })
    } catch (err) {
      this.failed(lane, batch, err, called)
    } finally {
      lane.busy = false
      this.inFlight--
      this.forgetIfIdle(lane)
      this.kick()
    }
  }

  /** A media item is always alone in its batch; the sender decides media, fallback or skip. */
  private async deliverMedia(lane: Lane, item: Item, media: MediaItem): Promise<void> {
    const outcome: MediaOutcome = this.transport.sendMedia
      ? await this.transport.sendMedia(lane.id, media)
      : { as: 'skipped', reason: 'this transport sends no media' }
    lane.attempts = 0
    if (outcome.as === 'skipped') {
      this.stats.media.skipped++
      this.options.log?.warn({ conversation: lane.id, media: media.name, kind: media.kind, reason: outcome.reason }, 'media item not sent (no fallback text)')
      this.drop(lane, item, 'media', outcome.reason)
      return
    }
    this.stats.sent++
    if (outcome.as === 'fallback') {
      this.stats.media.fallback++
      this.options.log?.info({ conversation: lane.id, media: media.name, kind: media.kind, reason: outcome.reason }, 'media item sent as its fallback text')
      item.finish({ sent: true, fallback: true, reason: outcome.reason })
      return
    }
    this.stats.media.sent++
    item.finish({ sent: true })
  }

  private failed(lane: Lane, batch: Item[], err: unknown, called: boolean): void {
    const offline = !this.online || this.transport.connected?.() === false
    this.stats.retries++
    // WeChat may have posted it: what must go out at most once is not sent again
    const once = called && outcomeUnknown(err) ? batch.filter((i) => i.atMostOnce) : []
    if (once.length > 0) {
      this.options.log?.warn(
        { err, conversation: lane.id, texts: once.length, retriedOthers: batch.length - once.length },
        'send failed after WeChat may have taken it; texts that must go out at most once (reminders) are not retried',
      )
      for (const item of once) this.drop(lane, item, 'ambiguous', `possibly delivered, not retried: ${(err as Error)?.message ?? err}`)
    }
    const retry = batch.filter((i) => !once.includes(i))
    if (!offline) lane.attempts++
    if (retry.length > 0 && lane.attempts >= this.maxAttempts) {
      this.options.log?.error({ err, conversation: lane.id, attempts: lane.attempts }, 'send failed every retry; text dropped')
      lane.attempts = 0
      for (const item of retry) this.drop(lane, item, 'failed', `send failed: ${(err as Error)?.message ?? err}`)
      return
    }
    if (retry.length > 0) {
      this.options.log?.warn({ err, conversation: lane.id, attempt: lane.attempts, offline }, 'send failed; will retry')
      // back at the heads of their tiers, unmerged, so a later merge can re-pack them
      lane.putBack(retry)
      const infoDeadline = retry.find((i) => i.kind === 'info')?.deadline
      if (infoDeadline !== undefined) this.armSweep(infoDeadline)
    }
    lane.retryAt = this.options.clock.now() + Math.min(30_000, this.retryBaseMs * 2 ** Math.max(0, lane.attempts - 1))
  }

  /** An idle lane is forgotten only once its rate window is empty, or the limit would reset. */
  private forgetIfIdle(lane: Lane): void {
    if (lane.size === 0 && !lane.busy && (lane.window?.countIn(this.options.clock.now()) ?? 0) === 0) this.lanes.delete(lane.id)
  }

  private drop(lane: Lane, item: Item, cause: DropCause, reason: string): void {
    this.stats.dropped++
    this.stats.droppedByKind[item.kind]++
    this.stats.droppedByCause[cause]++
    if (cause === 'expired' || cause === 'full') this.drops.record(lane.id)
    item.finish({ sent: false, reason, cause })
  }
}
