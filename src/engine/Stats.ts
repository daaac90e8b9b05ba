import { segment, unsegment, type Namespace } from '../store/Store.js'
import type { ZonedTime } from '../time/ZonedTime.js'
import type { StatCounter } from './Skill.js'

export type DayStats = Partial<Record<StatCounter, number>>

/**
 * Today's numbers per room, kept in the store (`core/stats/<group>/<day>/<room>`), so
 * `#stats` survives restarts. Counting is a synchronous read-modify-write.
 */
export class Stats {
  private readonly listeners = new Set<(group: string, counter: StatCounter, n: number) => void>()

  constructor(
    private readonly ns: Namespace,
    private readonly time: () => ZonedTime,
    private readonly now: () => number,
  ) {}

  count(group: string, roomId: string, counter: StatCounter, n = 1): void {
    const key = this.key(group, this.time().dayKey(this.now()), roomId)
    this.ns.update<DayStats>(key, (old) => ({ ...old, [counter]: (old?.[counter] ?? 0) + n }))
    for (const l of this.listeners) l(group, counter, n)
  }

  /** Be told of every count as it happens (the console's Prometheus counters); returns the unsubscribe. */
  onCount(listener: (group: string, counter: StatCounter, n: number) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  /** A group's days (all rooms summed) for the days asked: one scan of the group's keys, not one per day. */
  perDay(group: string, days: readonly string[]): Map<string, DayStats> {
    const out = new Map<string, DayStats>(days.map((d) => [d, {}]))
    const prefix = `${this.ns.prefix}${segment(group)}/`
    this.ns.store.each(prefix, (dir, _room, value) => {
      const total = out.get(dir.slice(prefix.length))
      if (!total) return
      for (const [k, v] of Object.entries(value as DayStats) as Array<[StatCounter, number]>) total[k] = (total[k] ?? 0) + v
    })
    return out
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

  /** Every group's day (all rooms summed), in one scan of the stats: the console's overview. */
  allGroups(day = this.time().dayKey(this.now())): Map<string, DayStats> {
    const out = new Map<string, DayStats>()
    const tail = `/${segment(day)}`
    this.ns.store.each(this.ns.prefix, (dir, _room, value) => {
      if (!dir.endsWith(tail)) return
      const group = unsegment(dir.slice(this.ns.prefix.length, dir.length - tail.length))
      const total = out.get(group) ?? {}
      for (const [k, v] of Object.entries(value as DayStats) as Array<[StatCounter, number]>) total[k] = (total[k] ?? 0) + v
      out.set(group, total)
    })
    return out
  }

  private key(group: string, day: string, roomId: string): string {
    return `${segment(group)}/${segment(day)}/${segment(roomId)}`
  }
}
