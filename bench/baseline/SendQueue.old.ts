import type { Logger } from 'pino'
import type { Clock, Timer } from '../../src/clock/Clock.js'
import { MAX_TEXT_LENGTH, renderOutgoing, textLength, type Segment } from '../../src/text/Outgoing.js'
import { SlidingWindow } from '../../src/send/SlidingWindow.js'

/** Where texts finally go: the puppet. `conversationId` is a room id or a contact id. */
export interface Transport {
  send(conversationId: string, text: string, mentionIds: string[]): Promise<void>
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
}

export interface EnqueueOptions {
  /** Wait for this before sending (the store's durability of what the text confirms). */
  after?: Promise<unknown>
  mergeable?: boolean
  beforeSend?: () => Promise<void>
  onSent?: () => void
  onDropped?: (reason: string) => void
}

export interface SendResult {
  sent: boolean
  reason?: string
}

interface Item {
  segments: Segment[]
  length: number
  ready: boolean
  options: EnqueueOptions
  enqueuedAt: number
  resolve: (r: SendResult) => void
}

interface Lane {
  id: string
  items: Item[]
  window: SlidingWindow | undefined
  busy: boolean
  attempts: number
  retryAt: number
}

export interface SendQueueStats {
  enqueued: number
  sent: number
  merged: number
  retries: number
  dropped: number
}

/**
 * Every outgoing text goes through here. It keeps the bot under `bot.rateLimit` (per room
 * and in total, over any 60 s), spaces messages with a little jitter, keeps each room's
 * texts in order, retries failed sends (and waits, without counting tries, while the puppet
 * is disconnected), and when texts pile up for a room it sends them as one merged message
 * rather than dropping them or making the last wait for minutes.
 *
 * Hand-written: rate-limit libraries (bottleneck, p-queue) limit one dimension and cannot
 * merge queued payloads or run on an injected clock.
 */
export class SendQueue {
  private readonly lanes = new Map<string, Lane>()
  private total: SlidingWindow | undefined
  private lastSendAt = -Infinity
  private nextGap = 0
  private timer: Timer | undefined
  private timerAt = Infinity
  private kicked = false
  private online = true
  private inFlight = 0
  private closed = false
  private gapMs: [number, number]
  private readonly random: () => number
  private readonly maxAttempts: number
  private readonly retryBaseMs: number
  private readonly maxLength: number
  readonly stats: SendQueueStats = { enqueued: 0, sent: 0, merged: 0, retries: 0, dropped: 0 }

  constructor(
    private readonly transport: Transport,
    private readonly options: SendQueueOptions,
  ) {
    this.total = options.limits ? new SlidingWindow(options.limits.totalPerMinute) : undefined
    this.gapMs = options.limits ? (options.gapMs ?? [400, 1200]) : [0, 0]
    this.random = options.random ?? Math.random
    this.maxAttempts = options.maxAttempts ?? 6
    this.retryBaseMs = options.retryBaseMs ?? 1000
    this.maxLength = options.maxLength ?? MAX_TEXT_LENGTH
  }

  /** Queue a text; resolves when it was sent (or given up on). Never rejects. */
  enqueue(conversationId: string, segments: readonly Segment[], options: EnqueueOptions = {}): Promise<SendResult> {
    if (this.closed) return Promise.resolve({ sent: false, reason: 'shutting down' })
    return new Promise<SendResult>((resolve) => {
      const item: Item = {
        segments: [...segments],
        length: textLength(segments),
        ready: !options.after,
        options,
        enqueuedAt: this.options.clock.now(),
        resolve,
      }
      this.lane(conversationId).items.push(item)
      this.stats.enqueued++
      if (options.after) {
        options.after.then(
          () => {
            item.ready = true
            this.kick()
          },
          (err: Error) => {
            // what the text would confirm is not stored: it must not be said
            this.removeItem(conversationId, item)
            this.drop(item, `not stored: ${err.message}`)
            this.kick()
          },
        )
      } else this.kick()
    })
  }

  /** New limits (a config reload): they apply from the next send. */
  setLimits(limits: RateLimits | false): void {
    const old = this.options.limits
    if (JSON.stringify(old) === JSON.stringify(limits)) return
    this.options.limits = limits
    // keep the recent history: a reload must not open a window for a burst
    const resize = (w: SlidingWindow | undefined, limit: number): SlidingWindow => {
      if (!w) return new SlidingWindow(limit)
      w.limit = limit
      return w
    }
    this.total = limits ? resize(this.total, limits.totalPerMinute) : undefined
    this.gapMs = limits ? (this.options.gapMs ?? [400, 1200]) : [0, 0]
    for (const lane of this.lanes.values()) lane.window = limits ? resize(lane.window, limits.roomPerMinute) : undefined
    this.kick()
  }

  /** The puppet is logged out: hold everything (nothing is lost, no tries are spent). */
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
    for (const l of this.lanes.values()) n += l.items.length
    return n + this.inFlight
  }

  /** Stop: give queued texts up to `graceMs` to go out, then drop the rest. */
  async close(graceMs = 0): Promise<void> {
    const deadline = this.options.clock.now() + graceMs
    while (this.pending > 0 && this.options.clock.now() < deadline && this.online) {
      await new Promise<void>((r) => this.options.clock.after(50, r))
    }
    this.closed = true
    this.timer?.cancel()
    for (const lane of this.lanes.values()) {
      for (const item of lane.items.splice(0)) this.drop(item, 'shutting down')
    }
  }

  private lane(id: string): Lane {
    let lane = this.lanes.get(id)
    if (!lane) {
      const window = this.options.limits ? new SlidingWindow(this.options.limits.roomPerMinute) : undefined
      lane = { id, items: [], window, busy: false, attempts: 0, retryAt: 0 }
      this.lanes.set(id, lane)
    }
    return lane
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
    if (!this.online || this.closed) return
    const maxInFlight = this.options.limits ? 1 : 16
    while (this.inFlight < maxInFlight) {
      const now = this.options.clock.now()
      let best: Lane | undefined
      let bestAt = Infinity
      for (const lane of this.lanes.values()) {
        const head = lane.items[0]
        if (lane.busy || !head?.ready) continue
        const at = Math.max(lane.retryAt, lane.window?.nextAllowed(now) ?? now)
        // earliest allowed first; among equals, the longest waiting
        if (at < bestAt || (at === bestAt && best && head.enqueuedAt < best.items[0]!.enqueuedAt)) {
          best = lane
          bestAt = at
        }
      }
      if (!best) return
      const globalAt = Math.max(this.total?.nextAllowed(now) ?? now, this.lastSendAt + this.nextGap)
      const at = Math.max(bestAt, globalAt)
      if (at > now) {
        this.wakeAt(at)
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

  private sendHead(lane: Lane, now: number): void {
    // take the head and every ready, mergeable text behind it that still fits
    const batch = [lane.items.shift()!]
    let length = batch[0]!.length
    if (batch[0]!.options.mergeable !== false) {
      while (lane.items.length > 0) {
        const next = lane.items[0]!
        if (!next.ready || next.options.mergeable === false || length + 1 + next.length > this.maxLength) break
        batch.push(lane.items.shift()!)
        length += 1 + next.length
      }
    }
    const segments: Segment[] = []
    batch.forEach((item, i) => {
      if (i > 0) segments.push('\n')
      segments.push(...item.segments)
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
    try {
      for (const item of batch) await item.options.beforeSend?.()
      await this.transport.send(lane.id, text, mentionIds)
      lane.attempts = 0
      this.stats.sent++
      this.stats.merged += batch.length - 1
      if (batch.length > 1) this.options.log?.debug({ conversation: lane.id, merged: batch.length }, 'merged queued texts into one message')
      for (const item of batch) {
        item.options.onSent?.()
        item.resolve({ sent: true })
      }
    } catch (err) {
      const offline = !this.online || this.transport.connected?.() === false
      if (!offline) lane.attempts++
      this.stats.retries++
      if (lane.attempts >= this.maxAttempts) {
        this.options.log?.error({ err, conversation: lane.id, attempts: lane.attempts }, 'send failed every retry; text dropped')
        lane.attempts = 0
        for (const item of batch) this.drop(item, `send failed: ${(err as Error).message}`)
      } else {
        this.options.log?.warn({ err, conversation: lane.id, attempt: lane.attempts, offline }, 'send failed; will retry')
        // back at the head, unmerged, so a later merge can re-pack them
        lane.items.unshift(...batch)
        lane.retryAt = this.options.clock.now() + Math.min(30_000, this.retryBaseMs * 2 ** Math.max(0, lane.attempts - 1))
      }
    } finally {
      lane.busy = false
      this.inFlight--
      // an idle lane is forgotten only once its rate window is empty, or the limit would reset
      if (lane.items.length === 0 && (lane.window?.countIn(this.options.clock.now()) ?? 0) === 0) this.lanes.delete(lane.id)
      this.kick()
    }
  }

  private removeItem(conversationId: string, item: Item): void {
    const lane = this.lanes.get(conversationId)
    if (!lane) return
    const i = lane.items.indexOf(item)
    if (i >= 0) lane.items.splice(i, 1)
  }

  private drop(item: Item, reason: string): void {
    this.stats.dropped++
    item.options.onDropped?.(reason)
    item.resolve({ sent: false, reason })
  }
}
