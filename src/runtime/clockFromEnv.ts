import { SystemClock } from '../clock/Clock.js'
import { parseDuration } from '../time/duration.js'

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
