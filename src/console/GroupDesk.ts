import type { StatCounter } from '../engine/Skill.js'
import type { DayStats } from '../engine/Stats.js'
import { pointsBook } from '../engine/SkillContext.js'
import { ApiError, type ConsoleDeps } from './ConsoleDeps.js'
import type { GroupConfig } from '../config/loadConfig.js'
import type { HandoffDesk } from './HandoffDesk.js'

const COUNTERS: StatCounter[] = ['joins', 'leaves', 'checkins', 'answeredByRules', 'answeredByModel', 'handedOff', 'messages']
/** A room's member count is asked of the puppet at most this often. */
const MEMBERS_TTL_MS = 60_000

export function fullDay(s: DayStats): Record<StatCounter, number> {
  return Object.fromEntries(COUNTERS.map((c) => [c, s[c] ?? 0])) as Record<StatCounter, number>
}

/** Groups, their rooms and numbers: the overview, a group's page, and its daily stats. */
export class GroupDesk {
  private readonly members = new Map<string, { n: number | undefined; at: number }>()

  constructor(
    private readonly deps: ConsoleDeps,
    private readonly handoffs: HandoffDesk,
    /** What the skills' sections add to a group's detail (the live desk's upcoming lives). */
    private readonly extra: { groupValues(group: GroupConfig): Record<string, unknown> },
  ) {}

  async list() {
    const open = this.handoffs.openCount()
    const groups = this.deps.config().groups
    const today = this.deps.engine.stats.allGroups()
    return Promise.all(
      groups.map(async (g) => {
        const rooms = this.deps.engine.rooms.roomsOf(g.name)
        return {
          name: g.name,
          rooms: await Promise.all(rooms.map(async (r) => ({ id: r.id, topic: r.topic, members: (await this.memberCount(r.id)) ?? null }))),
          skills: [...g.skills.keys()],
          pool: this.deps.engine.pointsPool(g.name),
          today: fullDay(today.get(g.name) ?? {}),
          openHandoffs: open.get(g.name) ?? 0,
        }
      }),
    )
  }

  detail(name: string) {
    const group = this.deps.engine.findGroup(name)
    if (!group) throw new ApiError(404, `no group "${name}" in the config`)
    const pool = this.deps.engine.pointsPool(name)
    return {
      name,
      pool,
      leaderboard: pointsBook(this.deps.store, pool)
        .top(10)
        .map((r) => ({ rank: r.rank, id: r.id, name: r.row.name, total: r.row.total, streak: r.row.streak })),
      ...this.extra.groupValues(group),
    }
  }

  /** The last `days` days, oldest first, every counter present (0 when nothing happened). */
  stats(name: string, days: number) {
    if (!this.deps.engine.findGroup(name)) throw new ApiError(404, `no group "${name}" in the config`)
    const time = this.deps.engine.time
    const list = [time.dayKey(this.deps.clock.now())]
    while (list.length < days) list.unshift(time.previousDay(list[0]!))
    const byDay = this.deps.engine.stats.perDay(name, list)
    return { group: name, days: list.map((day) => ({ day, ...fullDay(byDay.get(day) ?? {}) })) }
  }

  private async memberCount(roomId: string): Promise<number | undefined> {
    const now = this.deps.clock.now()
    const known = this.members.get(roomId)
    if (known && now - known.at < MEMBERS_TTL_MS) return known.n
    const n = await this.deps.bot.memberCount(roomId).catch(() => undefined)
    this.members.set(roomId, { n, at: now })
    return n
  }
}
