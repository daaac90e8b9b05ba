import type { LedgerEntry, MemberPoints } from '../members/PointsBook.js'
import { pointsBook } from '../engine/SkillContext.js'
import { Namespace } from '../store/Store.js'
import { ApiError, iso, type ConsoleDeps } from './ConsoleDeps.js'
import type { Via } from './auth.js'

/** Ledger lines shown per member (newest first). */
const LEDGER_LINES = 50

/** Member lookup, points adjustments and tags (points and tags belong to the members: src/members). */
export class MemberDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  /** The pools the config's groups earn into, in group order. */
  pools(): string[] {
    return [...new Set(this.deps.config().groups.map((g) => this.deps.engine.pointsPool(g.name)))]
  }

  get(id: string, pool?: string) {
    if (pool !== undefined) this.requirePool(pool)
    const rows = this.pools().map((p) => [p, pointsBook(this.deps.store, p).get(id)] as const)
    const marks = this.deps.engine.tags.of(id)
    if (rows.every(([, r]) => !r) && Object.keys(marks).length === 0 && !this.deps.engine.members.get(id)) throw new ApiError(404, `no member ${id}: not in the member record, no points in any pool and no tags`)
    return this.view(id, pool)
  }

  adjust(id: string, body: { pool: string; delta: number; reason: string }, via: Via) {
    this.requirePool(body.pool)
    // as #points does: a change runs onPointsChanged, so rule tags (tags/gate) follow
    const book = this.deps.engine.points(body.pool)
    const total = book.get(id)?.total ?? 0
    if (total + body.delta < 0) throw new ApiError(400, `积分不能为负：现有 ${total} 分，不能减 ${-body.delta} 分 (points cannot go below zero)`)
    const now = this.deps.clock.now()
    const group = this.deps.config().groups.find((g) => this.deps.engine.pointsPool(g.name) === body.pool)?.name ?? body.pool
    book.adjust(id, body.delta, 'adjust', { now, day: this.deps.engine.time.dayKey(now), group, note: `${via}: ${body.reason}` })
    return this.view(id, body.pool)
  }

  tag(id: string, tag: string, via: Via) {
    const changed = this.deps.engine.tags.add(id, tag, { source: via, at: this.deps.clock.now(), by: via })
    return { id, tag, changed, tags: this.deps.engine.tags.names(id) }
  }

  untag(id: string, tag: string) {
    if (!this.deps.engine.tags.remove(id, tag)) throw new ApiError(404, `${id} has no tag ${tag}`)
    return { id, tag, changed: true, tags: this.deps.engine.tags.names(id) }
  }

  private requirePool(pool: string): void {
    if (!this.pools().includes(pool)) throw new ApiError(400, `unknown pool "${pool}"; pools: ${this.pools().join(', ') || '(none)'}`)
  }

  private view(id: string, pool?: string) {
    const pools = this.pools().map((p) => ({ pool: p, row: pointsBook(this.deps.store, p).get(id) }))
    const chosen = pool ?? pools.find((p) => p.row)?.pool ?? pools[0]?.pool ?? ''
    const row: MemberPoints | undefined = pools.find((p) => p.pool === chosen)?.row
    const marks = this.deps.engine.tags.of(id)
    return {
      id,
      name: this.deps.engine.members.get(id)?.name ?? pools.find((p) => p.row)?.row?.name ?? id,
      pool: chosen,
      total: row?.total ?? 0,
      streak: row?.streak ?? 0,
      tags: Object.keys(marks).sort(),
      tagMarks: Object.fromEntries(Object.entries(marks).map(([t, m]) => [t, { source: m.source, at: iso(this.deps, m.at), ...(m.by ? { by: m.by } : {}) }])),
      pools: pools.map((p) => ({ pool: p.pool, total: p.row?.total ?? 0, streak: p.row?.streak ?? 0, checkins: p.row?.checkins ?? 0, lastDay: p.row?.lastDay ?? null })),
      ledger: chosen ? this.ledger(chosen, id) : [],
    }
  }

  /** The member's last ledger lines in a pool: one scan of the pool's ledger, no keys built. */
  private ledger(pool: string, id: string) {
    const prefix = `${new Namespace(this.deps.store, 'checkin/').child(`pool:${pool}`).prefix}ledger/`
    const mine: LedgerEntry[] = []
    this.deps.store.each(prefix, (_dir, _leaf, v) => {
      const e = v as unknown as LedgerEntry
      if (e.member === id) mine.push(e)
    })
    return mine
      .sort((a, b) => b.seq - a.seq)
      .slice(0, LEDGER_LINES)
      .map((e) => ({ seq: e.seq, at: iso(this.deps, e.at), day: e.day, delta: e.delta, reason: e.reason, group: e.group, ...(e.note ? { note: e.note } : {}) }))
  }
}
