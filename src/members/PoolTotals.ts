import { followTable } from '../store/followTable.js'
import type { Table } from '../store/Store.js'
import type { MemberPoints } from './PointsBook.js'

/**
 * A pool's totals by member, in memory: one scan on first use, then kept in step with every
 * change of a row (see followTable). The member list filters and sorts 100,000 members by
 * points with a Map lookup each instead of a keyed store read (or a scan of the pool) per query.
 */
export class PoolTotals {
  readonly totals = new Map<string, number>()

  static of(members: Table<MemberPoints>): PoolTotals {
    return followTable(members, 'totals', () => new PoolTotals())
  }

  private constructor() {}

  row(id: string, _before: MemberPoints | undefined, after: MemberPoints | undefined): void {
    if (after === undefined) this.totals.delete(id)
    else this.totals.set(id, after.total)
  }
}
