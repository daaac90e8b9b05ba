import schedule from 'node-schedule'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { SystemClock } from '../../../src/clock/Clock.js'
import { clockFromEnv } from '../../../src/runtime/clockFromEnv.js'

/**
 * The real clock under vitest's fake timers (which fake Date and setTimeout, so node-schedule
 * and its long-timeout chaining run as in production, only without waiting).
 */
const DAY = 86_400_000
const START = Date.UTC(2026, 10, 25, 12, 0, 0)

describe('SystemClock', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: START })
  })
  afterEach(async () => {
    await schedule.gracefulShutdown()
    vi.useRealTimers()
  })

  it('a 40-day wait (past the 24.8-day setTimeout limit) fires neither early nor late', () => {
    const clock = new SystemClock()
    const due = START + 40 * DAY
    const firedAt: number[] = []
    clock.at(due, () => firedAt.push(Date.now()))

    vi.advanceTimersByTime(25 * DAY) // past one setTimeout's limit: chained, not fired
    expect(firedAt).toEqual([])
    vi.advanceTimersByTime(15 * DAY - 1_000)
    expect(firedAt).toEqual([])
    vi.advanceTimersByTime(999)
    expect(firedAt).toEqual([])
    vi.advanceTimersByTime(1)
    expect(firedAt).toEqual([due])
    vi.advanceTimersByTime(10 * DAY)
    expect(firedAt).toEqual([due]) // once
  })

  it('a cancelled wait never fires; an instant already past fires at once', () => {
    const clock = new SystemClock()
    const fired: string[] = []
    const t = clock.at(START + 40 * DAY, () => fired.push('cancelled'))
    t.cancel()
    clock.at(START - 5_000, () => fired.push('past'))
    vi.advanceTimersByTime(0)
    expect(fired).toEqual(['past'])
    vi.advanceTimersByTime(50 * DAY)
    expect(fired).toEqual(['past'])
  })

  it('after() waits the given milliseconds', () => {
    const clock = new SystemClock()
    const fired: number[] = []
    clock.after(1_500, () => fired.push(Date.now()))
    vi.advanceTimersByTime(1_499)
    expect(fired).toEqual([])
    vi.advanceTimersByTime(1)
    expect(fired).toEqual([START + 1_500])
  })

  it('SIYU_TEST_CLOCK_OFFSET (tests only) moves now and the instants together', () => {
    const { clock, offsetMs } = clockFromEnv({ SIYU_TEST_CLOCK_OFFSET: '7d' })
    expect(offsetMs).toBe(7 * DAY)
    expect(clock.now()).toBe(START + 7 * DAY)
    const firedAt: number[] = []
    clock.at(START + 7 * DAY + 60_000, () => firedAt.push(clock.now()))
    vi.advanceTimersByTime(59_000)
    expect(firedAt).toEqual([])
    vi.advanceTimersByTime(1_000)
    expect(firedAt).toEqual([START + 7 * DAY + 60_000])
    expect(clockFromEnv({ SIYU_TEST_CLOCK_OFFSET: '-3600000' }).clock.now()).toBe(Date.now() - 3_600_000)
    expect(clockFromEnv({}).offsetMs).toBe(0)
    expect(() => clockFromEnv({ SIYU_TEST_CLOCK_OFFSET: 'soon' })).toThrow(/must be a duration/)
  })
})
