import type { Clock, Timer } from './Clock.js'

interface Pending {
  at: number
  seq: number
  fn: () => void
  cancelled: boolean
}

/**
 * A clock for tests and benches: time stands still until `advance()` moves it, running
 * every timer that falls due, in order, at its own instant.
 */
export class FakeClock implements Clock {
  private current: number
  private seq = 0
  private pending: Pending[] = []

  constructor(start: number | Date = Date.UTC(2026, 10, 26, 2, 0, 0)) {
    this.current = typeof start === 'number' ? start : start.getTime()
  }

  now(): number {
    return this.current
  }

  after(ms: number, fn: () => void): Timer {
    return this.at(this.current + Math.max(0, ms), fn)
  }

  at(at: number, fn: () => void): Timer {
    const p: Pending = { at: Math.max(at, this.current), seq: this.seq++, fn, cancelled: false }
    this.pending.push(p)
    return { cancel: () => { p.cancelled = true } }
  }

  /** Timers still waiting (not cancelled). */
  get pendingCount(): number {
    return this.pending.filter((p) => !p.cancelled).length
  }

  /**
   * Move time forward by `ms`, running due timers one by one; between timers the
   * microtask queue is drained so promise chains started by a timer settle first.
   */
  async advance(ms: number): Promise<void> {
    await this.advanceTo(this.current + ms)
  }

  async advanceTo(target: number): Promise<void> {
    for (;;) {
      await settle()
      this.pending = this.pending.filter((p) => !p.cancelled)
      const next = this.pending
        .filter((p) => p.at <= target)
        .sort((a, b) => a.at - b.at || a.seq - b.seq)[0]
      if (!next) break
      this.pending.splice(this.pending.indexOf(next), 1)
      this.current = Math.max(this.current, next.at)
      next.fn()
    }
    this.current = Math.max(this.current, target)
    await settle()
  }

  /** Jump the wall clock without running timers (a host suspended, a clock step). */
  set(to: number): void {
    this.current = to
  }
}

/** Let pending promise callbacks and I/O callbacks run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((r) => setImmediate(r))
}
