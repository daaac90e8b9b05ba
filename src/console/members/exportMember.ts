import type { Engine } from '../../engine/Engine.js'
import { HandoffInbox } from '../../inbox/HandoffInbox.js'
import { unsegment, type Store } from '../../store/Store.js'
import type { LedgerEntry, MemberPoints } from '../../members/PointsBook.js'
import { composeTimeline } from './timeline.js'

/**
 * Everything kept about one member, as JSON (CONTRACT §11, `GET /api/members/<id>/export`):
 * the member record as stored, their tags, their points row and ledger entries in every
 * pool, their hand-offs, their timeline as the console shows it, and each enabled skill's
 * `exportMember` per group (orders, strikes, subscriptions…). Times are epoch milliseconds
 * as stored (the timeline's are ISO 8601 for people).
 */
export function exportMember(engine: Engine, store: Store, contactId: string, iso: (ms: number) => string) {
  const points: Array<{ pool: string; row: MemberPoints; ledger: LedgerEntry[] }> = []
  const ledger = new Map<string, LedgerEntry[]>()
  const rows = new Map<string, MemberPoints>()
  store.each('checkin/', (dir, leaf, value) => {
    const m = /^checkin\/pool:([^/]+)\/(members|ledger)\//.exec(`${dir}/`)
    if (!m) return
    const pool = unsegment(m[1]!)
    if (m[2] === 'members' && unsegment(leaf) === contactId) rows.set(pool, value as unknown as MemberPoints)
    if (m[2] === 'ledger' && (value as unknown as LedgerEntry).member === contactId) ledger.set(pool, [...(ledger.get(pool) ?? []), value as unknown as LedgerEntry])
  })
  for (const pool of new Set([...rows.keys(), ...ledger.keys()])) {
    points.push({ pool, row: rows.get(pool)!, ledger: (ledger.get(pool) ?? []).sort((a, b) => a.seq - b.seq) })
  }
  const skills: Record<string, Record<string, unknown>> = Object.create(null)
  for (const { skill, group, ctx } of engine.enabledWith('exportMember')) {
    try {
      const data = skill.exportMember!(ctx, contactId)
      if (data === undefined || data === null) continue
      skills[skill.name] ??= Object.create(null)
      skills[skill.name]![group] = data
    } catch (err) {
      engine.log.error({ err, skill: skill.name, group }, 'skill failed to export a member; left out')
    }
  }
  return {
    id: contactId,
    exportedAt: iso(engine.deps.clock.now()),
    record: engine.members.get(contactId) ?? null,
    tags: engine.tags.of(contactId),
    points,
    handoffs: HandoffInbox.of(store)
      .list()
      .filter((h) => h.memberId === contactId),
    timeline: composeTimeline(engine, store, contactId).map((e) => ({ ...e, at: iso(e.at) })),
    skills: { ...skills },
  }
}
