/**
 * "At most `limit` events in any `windowMs`": remembers the instants of recent events and
 * says when the next one may happen.
 */
export class SlidingWindow {
  private readonly stamps: number[] = []

  constructor(
    public limit: number,
    readonly windowMs = 60_000,
  ) {}

  /** The earliest instant at or after `now` when one more event stays within the limit. */
  nextAllowed(now: number): number {
    this.prune(now)
    if (this.stamps.length < this.limit) return now
    return this.stamps[this.stamps.length - this.limit]! + this.windowMs
  }

  record(at: number): void {
    this.stamps.push(at)
  }

  countIn(now: number): number {
    this.prune(now)
    return this.stamps.length
  }

  private prune(now: number): void {
    let drop = 0
    while (drop < this.stamps.length && this.stamps[drop]! <= now - this.windowMs) drop++
    if (drop > 0) this.stamps.splice(0, drop)
  }
}
