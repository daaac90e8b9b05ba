import { segment, type Namespace } from '../store/Store.js'
import type { MediaKind, PerDay } from '../config/mediaSchema.js'

type DayCounts = Partial<Record<MediaKind, number>>

/**
 * `bot.rateLimit.perDay` for one account: how many media of each kind it sent today (a day in
 * `bot.timezone`), kept in the store (`core/media-budget/<account>/<day>`) so a restart does
 * not hand out a second day's worth — WeChat restricts accounts by what they sent, not by what
 * one process remembers. Only the current day is kept.
 */
export class MediaBudget {
  constructor(
    private readonly ns: Namespace,
    private readonly account: string,
    /** The limits now (they follow a reload); undefined: no limits. */
    private readonly limits: () => PerDay | undefined,
    /** Today's key in the bot's time zone. */
    private readonly today: () => string,
  ) {}

  left(kind: MediaKind): number {
    const limit = this.limits()?.[kind]
    if (limit === undefined) return Infinity
    return Math.max(0, limit - (this.ns.get<DayCounts>(this.key(this.today()))?.[kind] ?? 0))
  }

  /** One sent (synchronously recorded with the rest of the state). */
  spend(kind: MediaKind): void {
    const day = this.today()
    const key = this.key(day)
    if (this.ns.get(key) === undefined) {
      for (const old of this.ns.keys(`${segment(this.account)}/`)) this.ns.delete(old)
    }
    this.ns.update<DayCounts>(key, (c) => ({ ...c, [kind]: (c?.[kind] ?? 0) + 1 }))
  }

  /** Today's counts (the console, tests). */
  sentToday(): DayCounts {
    return { ...this.ns.get<DayCounts>(this.key(this.today())) }
  }

  private key(day: string): string {
    return `${segment(this.account)}/${segment(day)}`
  }
}
