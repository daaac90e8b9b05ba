import schedule from 'node-schedule'
import { parseDuration } from '../time/duration.js'

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

/**
 * The clock `npm start` uses: the system's, or — when `SIYU_TEST_CLOCK_OFFSET` is set (a
 * duration like `7d` or `-2h`, or milliseconds) — the system's moved by that much. End-to-end
 * tests use it to let days pass for a real process (invite points after 7 days, tomorrow's
 * digest); an operator has no reason to set it (the App logs a warning when it is).
 */
export function clockFromEnv(env: NodeJS.ProcessEnv): { clock: SystemClock; offsetMs: number } {
  const raw = env.SIYU_TEST_CLOCK_OFFSET?.trim()
  if (!raw) return { clock: new SystemClock(), offsetMs: 0 }
  const sign = raw.startsWith('-') ? -1 : 1
  const body = raw.replace(/^[+-]/, '')
  const ms = /^\d+$/.test(body) ? Number(body) : parseDuration(body)
  if (ms === undefined || !Number.isFinite(ms)) throw new Error(`SIYU_TEST_CLOCK_OFFSET must be a duration like 7d or -2h, or milliseconds; got "${raw}"`)
  return { clock: new SystemClock(sign * ms), offsetMs: sign * ms }
}
