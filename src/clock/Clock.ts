import schedule from 'node-schedule'

/** A planned callback that can be called off. */
export interface Timer {
  cancel(): void
}

/**
 * Where the runtime gets "now" and its timers from. Everything time-dependent takes a
 * Clock so tests move time instead of sleeping (see FakeClock).
 */
export interface Clock {
  now(): number
  /** Run `fn` after `ms` milliseconds (short waits: queue spacing, batching windows). */
  after(ms: number, fn: () => void): Timer
  /** Run `fn` at the wall-clock instant `at` (long waits: reminders weeks ahead). */
  at(at: number, fn: () => void): Timer
}

/**
 * The real clock: Date.now, setTimeout for short waits, node-schedule for instants. An offset
 * (tests only, see clockFromEnv) moves the bot's "now" and its instants together; relative
 * waits are unchanged.
 */
export class SystemClock implements Clock {
  constructor(private readonly offsetMs = 0) {}

  now(): number {
    return Date.now() + this.offsetMs
  }

  after(ms: number, fn: () => void): Timer {
    const handle = setTimeout(fn, Math.max(0, ms))
    return { cancel: () => clearTimeout(handle) }
  }

  at(at: number, fn: () => void): Timer {
    // node-schedule chains long timeouts (> 24.8 days) and re-arms a timer that fires early
    // when the wall clock moved; it returns null for an instant already past.
    const real = at - this.offsetMs
    const job = real > Date.now() ? schedule.scheduleJob(new Date(real), fn) : null
    if (job) return { cancel: () => job.cancel() }
    const handle = setTimeout(fn, 0)
    return { cancel: () => clearTimeout(handle) }
  }
}

