import { segment, type Namespace } from '../store/Store.js'
import type { ZonedTime } from '../time/ZonedTime.js'
import type { StatCounter } from './Skill.js'

export type DayStats = Partial<Record<StatCounter, number>>

/**
 * Today's numbers per room, kept in the store (`core/stats/<group>/<day>/<room>`), so
 * `#stats` survives restarts. Counting is a synchronous read-modify-write.
 */
export class Stats {
  constructor(
    private readonly ns: Namespace,
    private readonly time: () => ZonedTime,
    private readonly now: () => number,
  ) {}

  count(group: string, roomId: string, counter: StatCounter, n = 1): void {
    const key = this.key(group, this.time().dayKey(this.now()), roomId)
    this.ns.update<DayStats>(key, (old) => ({ ...old, [counter]: (old?.[counter] ?? 0) + n }))
  }

  forRoom(group: string, roomId: string, day = this.time().dayKey(this.now())): DayStats {
    return this.ns.get<DayStats>(this.key(group, day, roomId)) ?? {}
  }

  /** All rooms of a group on a day, summed. */
  forGroup(group: string, day = this.time().dayKey(this.now())): { total: DayStats; rooms: number } {
    const prefix = `${segment(group)}/${segment(day)}/`
    const total: DayStats = {}
    const rows = this.ns.entries<DayStats>(prefix)
    for (const [, s] of rows) {
      for (const [k, v] of Object.entries(s) as Array<[StatCounter, number]>) total[k] = (total[k] ?? 0) + v
    }
    return { total, rooms: rows.length }
  }

  private key(group: string, day: string, roomId: string): string {
    return `${segment(group)}/${segment(day)}/${segment(roomId)}`
  }
}
