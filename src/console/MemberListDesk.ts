import { Readable } from 'node:stream'
import { DateTime } from 'luxon'
import { pointsBook } from '../engine/SkillContext.js'
import { churnOf } from './members/churn.js'
import { compactItem, describer, pageOf, selectMembers, type MemberFilter, type MemberListDeps, type MemberListItem } from '../members/memberList.js'
import { ZoneDays } from '../members/ZoneDays.js'
import type { MemberRow } from '../members/MemberRecord.js'
import { composeTimeline } from './members/timeline.js'
import { csvRecord } from './members/csvRecord.js'
import { exportMember } from './members/exportMember.js'
import { ApiError, iso, type ConsoleDeps } from './ConsoleDeps.js'
import type { MemberListQuery } from './memberSchemas.js'

/** Rows handed to the CSV writer per turn of the event loop (the console stays responsive). */
const CSV_CHUNK = 500

/**
 * 会员 Members and 流失 Churn (CONTRACT §11): the member list with its filters, sort, pages
 * and CSV; a member's profile, timeline and the members they invited; a group's churn.
 * Everything is read from the member record and the records beside it (src/members/).
 */
export class MemberListDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  list(query: MemberListQuery) {
    const filter = this.filter(query)
    const d = this.listDeps()
    const { total, items } = pageOf(d, filter, (query.page - 1) * query.size, query.size)
    const describe = describer(d, filter, false)
    return { total, page: query.page, size: query.size, items: items.map(({ id, row }) => this.item(compactItem(describe(id, row)))) }
  }

  /**
   * Every match as CSV (UTF-8 with a BOM, so Excel reads the Chinese), streamed: memory stays
   * flat. CSV_CHUNK records at a time are made into one string (see csvRecord) and handed on
   * only when the reader asks for more (Readable.from pulls: backpressure).
   */
  csv(query: Omit<MemberListQuery, 'page' | 'size'>): Readable {
    const filter = this.filter({ ...query, page: 1, size: 1 })
    const d = this.listDeps()
    const matches = selectMembers(d, filter)
    const describe = describer(d, filter, true)
    const zone = new ZoneDays(this.deps.engine.time.zone)
    const at = (ms: number | undefined): string => (ms === undefined ? '' : zone.iso(ms))
    const header = ['id', 'name', 'names', 'groups', 'status', 'points', 'lastActive', 'joined', 'via', 'inviterId', 'tags', 'leftGroups']
    async function* chunks() {
      yield Buffer.from(`\uFEFF${csvRecord(header)}`)
      for (let i = 0; i < matches.length; i += CSV_CHUNK) {
        let text = ''
        for (let j = i; j < Math.min(i + CSV_CHUNK, matches.length); j++) {
          const { id, row } = matches[j]!
          const m = describe(id, row)
          text += csvRecord([m.id, m.name, m.names.join(' / '), m.groups.join(' '), m.status, m.points, at(m.lastActive), at(m.joined), m.via ?? '', m.inviterId ?? '', m.tags.join(' '), m.leftGroups.join(' ')])
        }
        yield Buffer.from(text)
        // let other requests and events in between chunks
        await new Promise<void>((r) => setImmediate(r))
      }
    }
    return Readable.from(chunks(), { objectMode: false })
  }

  timeline(id: string) {
    this.requireKnown(id)
    return composeTimeline(this.deps.engine, this.deps.store, id).map((e) => ({ at: iso(this.deps, e.at), kind: e.kind, group: e.group ?? null, detail: e.detail }))
  }

  /** What the profile adds to the member lookup: names, groups with their rooms, whom they invited. */
  profile(id: string) {
    const engine = this.deps.engine
    const row = engine.members.get(id)
    const at = (ms: number | undefined): string | null => (ms === undefined ? null : iso(this.deps, ms))
    const groups = new Map<string, NonNullable<MemberRow['rooms']>>()
    for (const s of row?.rooms ?? []) groups.set(s.group, [...(groups.get(s.group) ?? []), s])
    const invited: Array<{ id: string; name: string; group: string; joinedAt: string | null }> = []
    engine.members.rows.forEach((other, r) => {
      for (const s of r.rooms) if (s.inviterId === id) invited.push({ id: other, name: r.name, group: s.group, joinedAt: at(s.joinedAt) })
    })
    return {
      names: row?.names ?? [],
      seen: at(row?.seen),
      lastActive: at(row?.lastActive),
      groups: [...groups].map(([group, rooms]) => ({
        group,
        in: rooms.some((s) => s.in),
        rooms: rooms.map((s) => ({
          roomId: s.room,
          topic: engine.rooms.get(s.room)?.topic ?? s.room,
          in: s.in,
          joinedAt: at(s.joinedAt),
          leftAt: at(s.leftAt),
          joins: s.joins,
          ...(s.inviterId ? { inviterId: s.inviterId } : {}),
          ...(s.via ? { via: s.via } : {}),
          found: s.found !== undefined,
        })),
        lastActive: at(row?.activity.find((a) => a.group === group)?.last),
      })),
      invited: invited.sort((a, b) => (b.joinedAt ?? '').localeCompare(a.joinedAt ?? '')),
    }
  }

  churn(group: string, days: number) {
    this.requireGroup(group)
    const c = churnOf({ book: this.deps.engine.members, stats: this.deps.engine.stats, zone: this.deps.engine.time.zone, now: this.deps.clock.now() }, group, days)
    return {
      ...c,
      afterBot: c.afterBot.map((a) => ({ ...a, at: iso(this.deps, a.at), topic: this.deps.engine.rooms.get(a.roomId)?.topic ?? a.roomId })),
    }
  }

  /** Everything kept about one member (a 404 when nothing is). */
  export(id: string) {
    this.requireKnown(id)
    return exportMember(this.deps.engine, this.deps.store, id, (ms) => iso(this.deps, ms))
  }

  /** Known at all: a record, points in a pool, or a tag. */
  requireKnown(id: string): void {
    const engine = this.deps.engine
    if (engine.members.get(id)) return
    if (Object.keys(engine.tags.of(id)).length > 0) return
    if (this.pools().some((p) => pointsBook(this.deps.store, p).get(id))) return
    throw new ApiError(404, `no member ${id}`)
  }

  private item(m: MemberListItem) {
    const at = (ms: number | undefined): string | null => (ms === undefined ? null : iso(this.deps, ms))
    return { ...m, lastActive: at(m.lastActive), joined: at(m.joined) }
  }

  private pools(): string[] {
    return [...new Set(this.deps.config().groups.map((g) => this.deps.engine.pointsPool(g.name)))]
  }

  private listDeps(): MemberListDeps {
    const engine = this.deps.engine
    return {
      book: engine.members,
      tags: engine.tags,
      points: (pool) => pointsBook(this.deps.store, pool),
      pools: () => this.pools(),
      poolOf: (group) => engine.pointsPool(group),
      now: this.deps.clock.now(),
    }
  }

  private requireGroup(group: string): void {
    const names = this.deps.config().groups.map((g) => g.name)
    if (!names.includes(group)) throw new ApiError(400, `querystring.group: unknown group "${group}"; groups: ${names.join(', ') || '(none)'}`)
  }

  /** The query as the list filters it: names checked against the config, days into instants. */
  private filter(q: MemberListQuery): MemberFilter {
    if (q.group !== undefined) this.requireGroup(q.group)
    if (q.pool !== undefined && !this.pools().includes(q.pool)) throw new ApiError(400, `querystring.pool: unknown pool "${q.pool}"; pools: ${this.pools().join(', ')}`)
    if (q.pointsMin !== undefined && q.pointsMax !== undefined && q.pointsMin > q.pointsMax) throw new ApiError(400, 'querystring.pointsMin: more than pointsMax')
    const zone = this.deps.engine.time.zone
    const instant = (s: string, dayEnd: boolean): number => {
      if (/^\d{4}-\d{2}-\d{2}$/.test(s)) {
        const day = DateTime.fromISO(s, { zone })
        return (dayEnd ? day.plus({ days: 1 }) : day).toMillis()
      }
      return DateTime.fromISO(s.replace(' ', 'T'), { zone }).toMillis()
    }
    const joinedFrom = q.joinedFrom !== undefined ? instant(q.joinedFrom, false) : undefined
    const joinedTo = q.joinedTo !== undefined ? instant(q.joinedTo, true) : undefined
    if (joinedFrom !== undefined && joinedTo !== undefined && joinedFrom >= joinedTo) throw new ApiError(400, 'querystring.joinedFrom: after joinedTo')
    const tags = q.tags
      ?.split(/[,，]/)
      .map((t) => t.trim())
      .filter(Boolean)
    return {
      group: q.group,
      q: q.q,
      tags,
      tagMode: q.tagMode,
      pointsMin: q.pointsMin,
      pointsMax: q.pointsMax,
      pool: q.pool,
      silentDays: q.silentDays,
      joinedFrom,
      joinedTo,
      via: q.via,
      status: q.status,
      sort: q.sort,
      order: q.order,
    }
  }
}
