import type { Logger } from 'pino'
import type { Clock, Timer } from '../clock/Clock.js'

interface Open {
  count: number
  timer: Timer
}

/**
 * Informational replies dropped in a rush are logged once per room and minute, not once per
 * text: the first drop writes a line at once, the ones after it in the same minute are
 * counted and written in one line when the minute is over.
 */
export class DropLog {
  private readonly rooms = new Map<string, Open>()

  constructor(
    private readonly clock: Clock,
    private readonly log: Logger | undefined,
    private readonly ttlMs: number,
    private readonly everyMs = 60_000,
  ) {}

  record(room: string): void {
    const open = this.rooms.get(room)
    if (open) {
      open.count++
      return
    }
    this.line(room, 1)
    this.rooms.set(room, { count: 0, timer: this.clock.after(this.everyMs, () => this.flush(room)) })
  }

  /** At shutdown: stop the timers; returns the drops not written yet (for the summary line). */
  close(): number {
    let unwritten = 0
    for (const open of this.rooms.values()) {
      unwritten += open.count
      open.timer.cancel()
    }
    this.rooms.clear()
    return unwritten
  }

  private flush(room: string): void {
    const open = this.rooms.get(room)
    if (!open) return
    if (open.count === 0) {
      this.rooms.delete(room)
      return
    }
    this.line(room, open.count)
    open.count = 0
    open.timer = this.clock.after(this.everyMs, () => this.flush(room))
  }

  private line(room: string, dropped: number): void {
    this.log?.warn(
      { conversation: room, dropped, withinMs: this.ttlMs },
      'informational replies dropped: the room is at its rate limit and they could not go out in time (counted in #stats)',
    )
  }
}
