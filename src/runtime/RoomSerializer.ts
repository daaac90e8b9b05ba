import type { Logger } from 'pino'

/**
 * One room's events are handled one at a time, in arrival order (a check-in is never
 * overtaken by the leaderboard asked right after it); different rooms run side by side.
 * A handler stuck longer than `stallMs` is reported and no longer holds the room up.
 */
export class RoomSerializer {
  private readonly chains = new Map<string, Promise<void>>()

  constructor(
    private readonly log: Logger,
    private readonly stallMs = 30_000,
  ) {}

  run(roomId: string, what: string, fn: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(roomId) ?? Promise.resolve()
    const next = prev.then(() => this.guarded(roomId, what, fn))
    this.chains.set(roomId, next)
    void next.finally(() => {
      if (this.chains.get(roomId) === next) this.chains.delete(roomId)
    })
    return next
  }

  /** Resolves when every queued event has been handled (or `ms` passed). */
  async idle(ms: number): Promise<void> {
    const all = Promise.allSettled([...this.chains.values()])
    await Promise.race([all, new Promise<void>((r) => setTimeout(r, ms).unref())])
  }

  private async guarded(roomId: string, what: string, fn: () => Promise<void>): Promise<void> {
    let timer: NodeJS.Timeout | undefined
    const work = fn().catch((err: unknown) => this.log.error({ err, room: roomId, what }, 'event handling failed'))
    const stall = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        this.log.warn({ room: roomId, what, stallMs: this.stallMs }, 'event handler is slow; the room moves on without it')
        resolve()
      }, this.stallMs)
      timer.unref()
    })
    try {
      await Promise.race([work, stall])
    } finally {
      clearTimeout(timer)
    }
  }
}
