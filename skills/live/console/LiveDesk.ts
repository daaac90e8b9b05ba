import type { GroupConfig } from '../../../src/config/loadConfig.js'
import { ApiError, iso, type ConsoleDeps, type Via } from '../../../src/console/extensions.js'
import type { Skill } from '../../../src/engine/Skill.js'
import type { LiveConfig } from '../config.js'
import type { LiveCtx, LiveMemory } from '../context.js'
import { LiveCatalog, type Live } from '../LiveCatalog.js'
import { syncSchedule } from '../LiveSchedule.js'

export interface NewLive {
  groups: string[]
  title: string
  start: number
  link?: string
  preview?: string
}

interface Listed {
  id: string
  groups: string[]
  title: string
  start: number
  link?: string
  source: Live['source']
  /** The live's own id in each group. */
  liveId: string
}

/**
 * Lives across groups, through the live skill's own catalog and schedule — the code
 * `#live add` and `#live cancel` run — so a live added here has the same exactly-once
 * reminders. A live added to several groups at once gets one id, free in all of them.
 */
export class LiveDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  /** Upcoming lives; the same live (id, title, start) in several groups is one entry. */
  list(): Array<Omit<Listed, 'liveId' | 'start'> & { start: string }> {
    return this.listed().map(({ liveId: _liveId, start, ...l }) => ({ ...l, start: iso(this.deps, start) }))
  }

  /** Check everything, then add to every group in one synchronous step (one store commit). */
  add(input: NewLive, via: Via): { id: string; groups: string[] } {
    const now = this.deps.clock.now()
    const contexts = input.groups.map((name) => this.context(name, 400))
    if (input.start <= now) throw new ApiError(400, `start ${this.deps.engine.time.formatLocal(input.start)} is in the past`)

    const catalogs = contexts.map((c) => new LiveCatalog(c))
    let n = Math.max(...catalogs.map((c) => c.lastSeq)) + 1
    while (catalogs.some((c) => c.isTaken(`a${n}`))) n++
    const id = `a${n}`
    for (const [i, ctx] of contexts.entries()) {
      catalogs[i]!.add({ id, title: input.title, start: input.start, link: input.link, preview: input.preview, by: via, now })
      syncSchedule(ctx)
    }
    this.deps.log.info({ live: id, groups: input.groups, start: new Date(input.start).toISOString(), via }, 'live added')
    return { id, groups: input.groups }
  }

  /** Cancel a listed live in every group it is in; undefined when no upcoming live has this id. */
  cancel(id: string, via: Via): { id: string; groups: string[] } {
    const entry = this.listed().find((l) => l.id === id)
    if (!entry) throw new ApiError(404, `no upcoming live ${id} (GET /api/lives lists them)`)
    const now = this.deps.clock.now()
    for (const name of entry.groups) {
      const ctx = this.context(name, 404)
      const catalog = new LiveCatalog(ctx)
      const live = catalog.active().find((l) => l.id === entry.liveId && l.start === entry.start && l.title === entry.title)
      if (!live) continue
      catalog.cancel(live, via, now)
      syncSchedule(ctx)
    }
    this.deps.log.info({ live: entry.liveId, groups: entry.groups, via }, 'live cancelled')
    return { id, groups: entry.groups }
  }

  /** Upcoming lives of one group (the group page). */
  upcoming(group: GroupConfig) {
    if (!group.skills.has('live')) return []
    return new LiveCatalog(this.contextOf(group)).upcoming(this.deps.clock.now()).map((l) => ({
      id: l.id,
      title: l.title,
      start: iso(this.deps, l.start),
      ...(l.link ? { link: l.link } : {}),
      source: l.source,
    }))
  }

  private listed(): Listed[] {
    const now = this.deps.clock.now()
    const byKey = new Map<string, Listed>()
    for (const group of this.deps.config().groups) {
      if (!group.skills.has('live')) continue
      for (const l of new LiveCatalog(this.contextOf(group)).upcoming(now)) {
        const key = `${l.id}\u0000${l.start}\u0000${l.title}`
        const known = byKey.get(key)
        if (known) known.groups.push(group.name)
        else byKey.set(key, { id: l.id, liveId: l.id, groups: [group.name], title: l.title, start: l.start, ...(l.link ? { link: l.link } : {}), source: l.source })
      }
    }
    const all = [...byKey.values()].sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
    // two different lives that share an id (each group numbers its own) are told apart by their groups
    const uses = new Map<string, number>()
    for (const l of all) uses.set(l.liveId, (uses.get(l.liveId) ?? 0) + 1)
    for (const l of all) if (uses.get(l.liveId)! > 1) l.id = `${l.liveId}@${l.groups.join(',')}`
    return all
  }

  private context(name: string, status: 400 | 404): LiveCtx {
    const group = this.deps.engine.findGroup(name)
    if (!group) throw new ApiError(status, `no group "${name}" in the config`)
    if (!group.skills.has('live')) throw new ApiError(status, `group "${name}" does not have the live skill on`)
    return this.contextOf(group)
  }

  private contextOf(group: GroupConfig): LiveCtx {
    const skill = this.deps.engine.deps.skills.find((s) => s.name === 'live') as Skill<LiveConfig, LiveMemory> | undefined
    if (!skill) throw new ApiError(400, 'this bot has no live skill')
    return this.deps.engine.groupContext(skill, group, group.skills.get('live') as LiveConfig)
  }
}
