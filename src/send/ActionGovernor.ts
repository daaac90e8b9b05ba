import type { Logger } from 'pino'
import type { Clock } from '../clock/Clock.js'
import { isNotConnected, NotConnectedError } from './notConnected.js'
import type { RateLimits } from './SendQueue.js'
import { SlidingWindow } from './SlidingWindow.js'

export interface ActionGovernorOptions {
  clock: Clock
  /** The same `bot.rateLimit` the send queue uses; false: no limits, no spacing (tests of other things). */
  limits: RateLimits | false
  log?: Logger
  /** Pause between two actions, drawn in [min, max] ms (default 2–6 s: slower than texts). */
  gapMs?: [number, number]
  random?: () => number
}

interface Waiting {
  kind: string
  run: () => Promise<unknown>
  resolve: (v: unknown) => void
  reject: (err: unknown) => void
}

/**
 * Paces what the bot *does* (accept a friend request, invite, remove) the way the SendQueue
 * paces what it says: one at a time, a random gap between two, at most
 * `bot.rateLimit.totalPerMinute` in any 60 s, and at most `actionsPerMinute` (6) of them —
 * WeChat restricts accounts that add or accept in quick succession ("操作太频繁").
 *
 * A separate small queue rather than an item kind in SendQueue: actions return results and
 * fail individually (a failed invite is retried by its skill with backoff, durably), texts
 * merge and retry in the queue. It shares the queue's settings, not its budget.
 */
export class ActionGovernor {
  /** Most actions in any minute, whatever the text limits allow. */
  static readonly actionsPerMinute = 6
  private readonly waiting: Waiting[] = []
  private window: SlidingWindow | undefined
  private gapMs: [number, number]
  private readonly random: () => number
  private lastAt = -Infinity
  private nextGap = 0
  private busy = false
  private timer: { cancel(): void } | undefined
  private closed = false
  readonly stats = { done: 0, failed: 0 }

  constructor(private readonly o: ActionGovernorOptions) {
    this.window = this.makeWindow(o.limits)
    this.gapMs = o.limits ? (o.gapMs ?? [2000, 6000]) : [0, 0]
    this.random = o.random ?? Math.random
  }

  /** Run `fn` when its turn comes; resolves or rejects with its result. */
  run<T>(kind: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new NotConnectedError('shutting down'))
    return new Promise<T>((resolve, reject) => {
      this.waiting.push({ kind, run: fn, resolve: resolve as (v: unknown) => void, reject })
      this.pump()
    })
  }

  setLimits(limits: RateLimits | false): void {
    // a reload must not open a window for a burst: keep the recent history, change the limit
    if (!limits) this.window = undefined
    else if (this.window) this.window.limit = Math.min(limits.totalPerMinute, ActionGovernor.actionsPerMinute)
    else this.window = this.makeWindow(limits)
    this.gapMs = limits ? (this.o.gapMs ?? [2000, 6000]) : [0, 0]
    this.pump()
  }

  get pending(): number {
    return this.waiting.length + (this.busy ? 1 : 0)
  }

  /** Give up on what waits (shutdown): each is rejected as not done (no refusal); skills keep their durable retries. */
  close(): void {
    this.closed = true
    this.timer?.cancel()
    for (const w of this.waiting.splice(0)) w.reject(new NotConnectedError('shutting down'))
  }

  private makeWindow(limits: RateLimits | false): SlidingWindow | undefined {
    return limits ? new SlidingWindow(Math.min(limits.totalPerMinute, ActionGovernor.actionsPerMinute)) : undefined
  }

  private pump(): void {
    if (this.busy || this.closed || this.timer) return
    const next = this.waiting[0]
    if (!next) return
    const now = this.o.clock.now()
    const at = Math.max(this.window?.nextAllowed(now) ?? now, this.lastAt + this.nextGap)
    if (at > now) {
      this.timer = this.o.clock.after(at - now, () => {
        this.timer = undefined
        this.pump()
      })
      return
    }
    this.waiting.shift()
    this.busy = true
    this.lastAt = now
    this.nextGap = this.gapMs[0] + this.random() * (this.gapMs[1] - this.gapMs[0])
    this.window?.record(now)
    next
      .run()
      .then(
        (v) => {
          this.stats.done++
          next.resolve(v)
        },
        (err: unknown) => {
          this.stats.failed++
          if (isNotConnected(err)) this.o.log?.info({ reason: (err as Error).message, kind: next.kind }, 'action not done: its account cannot act now; it waits')
          else this.o.log?.warn({ err, kind: next.kind }, 'action failed')
          next.reject(err)
        },
      )
      .finally(() => {
        this.busy = false
        this.pump()
      })
  }
}
