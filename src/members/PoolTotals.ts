import { followTable } from '../store/followTable.js'
import type { Table } from '../store/Store.js'

/** What PoolTotals reads of a pool's row (PointsBook's MemberPoints: not imported, PointsBook imports this). */
interface Totalled {
  total: number
}

/**
 * A pool's totals by member, in memory: one scan on first use, then kept in step with every
 * change of a row (see followTable). The member list filters and sorts 100,000 members by
 * points with a Map lookup each instead of a keyed store read (or a scan of the pool) per query.
 */
export class PoolTotals {
  readonly totals = new Map<string, number>()
  /** Bumped on every change: a sum over pools made at one version is good until it moves. */
  version = 0

  static of(members: Table<Totalled>): PoolTotals {
    return followTable(members, 'totals', () => new PoolTotals())
  }

  private constructor() {}

  row(id: string, _before: Totalled | undefined, after: Totalled | undefined): void {
    this.version++
    if (after === undefined) this.totals.delete(id)
    else this.totals.set(id, after.total)
  }
}

/** The last sum made over several pools, and what it was made from. */
let lastSum: { parts: PoolTotals[]; versions: number[]; sum: Map<string, number> } | undefined

/**
 * Every member's points summed over `pools` (the member list without a group: points in every
 * pool). Made again only when one of the pools changed since the last sum.
 */
export function summedTotals(pools: readonly PoolTotals[]): ReadonlyMap<string, number> {
  if (pools.length === 1) return pools[0]!.totals
  if (lastSum && lastSum.parts.length === pools.length && lastSum.parts.every((p, i) => p === pools[i] && lastSum!.versions[i] === p.version)) return lastSum.sum
  const sum = new Map<string, number>()
  for (const p of pools) for (const [id, total] of p.totals) sum.set(id, (sum.get(id) ?? 0) + total)
  lastSum = { parts: [...pools], versions: pools.map((p) => p.version), sum }
  return sum
}
