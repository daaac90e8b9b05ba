import { afterEach, describe, expect, it, vi } from 'vitest'
import { ConnectionSupervisor } from '../../../src/runtime/ConnectionSupervisor.js'
import { silentLogger } from '../../../src/log/logger.js'

function supervisor(opts: { startFails?: () => boolean; firstLoginTimeoutMs?: number } = {}) {
  const calls: string[] = []
  const s = new ConnectionSupervisor({
    log: silentLogger,
    loginTimeoutMs: 30_000,
    firstLoginTimeoutMs: opts.firstLoginTimeoutMs,
    backoffMs: [1_000, 10_000],
    start: async () => {
      calls.push('start')
      if (opts.startFails?.()) s.onError(new Error('14 UNAVAILABLE: No connection established'))
    },
    stop: async () => void calls.push('stop'),
  })
  return { s, calls }
}

describe('ConnectionSupervisor', () => {
  afterEach(() => vi.useRealTimers())

  it('restarts the puppet when no login and no QR code come after a start', async () => {
    vi.useFakeTimers()
    const { s, calls } = supervisor()
    await s.begin()
    await vi.advanceTimersByTimeAsync(29_000)
    expect(calls).toEqual(['start'])
    await vi.advanceTimersByTimeAsync(1_000 + 1_000)
    expect(calls).toEqual(['start', 'stop', 'start'])
    s.onLogin()
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toHaveLength(3)
    s.shutdown()
  })

  it('after a takeover the first start waits only firstLoginTimeoutMs for its login, later starts the full time', async () => {
    vi.useFakeTimers()
    const { s, calls } = supervisor({ firstLoginTimeoutMs: 8_000 })
    await s.begin() // the old active's stream still holds the service: no login comes
    await vi.advanceTimersByTimeAsync(7_900)
    expect(calls).toEqual(['start'])
    await vi.advanceTimersByTimeAsync(100 + 1_000) // 8 s, then the first backoff (1 s)
    expect(calls).toEqual(['start', 'stop', 'start'])
    // the restarted start waits the normal 30 s again (a slow service is not restarted in a loop)
    await vi.advanceTimersByTimeAsync(29_000)
    expect(calls).toHaveLength(3)
    await vi.advanceTimersByTimeAsync(1_000 + 2_000)
    expect(calls).toEqual(['start', 'stop', 'start', 'stop', 'start'])
    s.onLogin()
    s.shutdown()
  })

  it('waits for a human while a QR code is shown', async () => {
    vi.useFakeTimers()
    const { s, calls } = supervisor()
    await s.begin()
    s.onScan()
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toEqual(['start'])
    s.shutdown()
  })

  it('on a connection error restarts with growing pauses until a login, then settles', async () => {
    vi.useFakeTimers()
    let down = true
    const { s, calls } = supervisor({ startFails: () => down })
    await s.begin() // the service is unreachable from the start
    const starts = () => calls.filter((c) => c === 'start').length
    // backoff 1 s, 2 s, 4 s, 8 s, 10 s, 10 s…
    await vi.advanceTimersByTimeAsync(1_000)
    expect(starts()).toBe(2)
    await vi.advanceTimersByTimeAsync(2_000)
    expect(starts()).toBe(3)
    await vi.advanceTimersByTimeAsync(4_000)
    expect(starts()).toBe(4)
    await vi.advanceTimersByTimeAsync(8_000 + 10_000)
    expect(starts()).toBe(6)
    down = false
    await vi.advanceTimersByTimeAsync(10_000)
    expect(starts()).toBe(7)
    s.onLogin()
    expect(s.connected).toBe(true)
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(starts()).toBe(7)
    s.shutdown()
  })

  it('ignores errors that are not about the connection', async () => {
    vi.useFakeTimers()
    const { s, calls } = supervisor()
    await s.begin()
    s.onLogin()
    s.onError(new Error('no payload found for id 123@chatroom'))
    await vi.advanceTimersByTimeAsync(10 * 60_000)
    expect(calls).toEqual(['start'])
    s.onError(new Error('1 CANCELLED: Call cancelled'))
    expect(s.connected).toBe(false)
    await vi.advanceTimersByTimeAsync(1_000)
    expect(calls).toEqual(['start', 'stop', 'start'])
    s.shutdown()
  })
})
