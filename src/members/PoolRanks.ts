import { unsegment, type Store, type Table } from '../store/Store.js'
import type { Json } from '../store/StorageAdapter.js'
import { RankOrder, type Ranked } from './RankOrder.js'

/** The fields of a member's row that place it on the leaderboard. */
interface Placed {
  total: number
  reachedAt: number
}

const registry = new WeakMap<Store, Map<string, PoolRanks>>()

/**
 * A pool's leaderboard order, kept up to date by the store: every set or delete of a row under
 * the pool's `members/` (through PointsBook or anything else) moves the member in the order,
 * synchronously, in the same turn. One per store and pool, made on first use.
 *
 * Built directory by directory (a member bucket at a time): `warm()` does it in the background
 * after a start, a turn per bucket; a question asked before it is done builds the rest at once.
 * While it is being built, changes in a bucket not scanned yet are left to that bucket's scan,
 * which reads the values it ends with.
 */
export class PoolRanks {
  /** The order, once every bucket is scanned. */
  private order: RankOrder | undefined
  /** While building: the rows of the buckets scanned so far, sorted into the order at the end (one sort beats a million inserts). */
  private staged: Map<string, Ranked> | undefined = new Map()
  /** Buckets not scanned yet. */
  private readonly unscanned: Set<string>
  private warming: Promise<void> | undefined
  /**
   * Members whose row changed since the order was last asked, with the entry the order still
   * holds for them (none: not in it). Placed in one go when the order is next read (\`build\`):
   * a member earning points message after message (activity points, CONTRACT §12) costs a map
   * entry per change rather than a removal and an insert each, and moves once, to where their
   * row ends, when somebody asks for a rank or the board.
   */
  private readonly moved = new Map<string, { key: string; held: Ranked | undefined }>()

  static of(members: Table<unknown>): PoolRanks {
    const store = members.ns.store
    let pools = registry.get(store)
    if (!pools) registry.set(store, (pools = new Map()))
    let ranks = pools.get(members.ns.prefix)
    if (!ranks) pools.set(members.ns.prefix, (ranks = new PoolRanks(store, members.ns.prefix)))
    return ranks
  }

  private constructor(
    private readonly store: Store,
    private readonly prefix: string,
  ) {
    store.watch(prefix, (dir, leaf, before, after) => {
      if (this.unscanned.has(dir)) return // its scan will read the value it ends with
      const id = unsegment(leaf)
      if (this.order) {
        // placed when the order is next asked: the place the order still holds is what it must remove
        if (!this.moved.has(id)) this.moved.set(id, { key: `${dir}/${leaf}`, held: before === undefined ? undefined : entry(id, before) })
      } else if (after !== undefined) this.staged!.set(id, entry(id, after))
      else this.staged!.delete(id)
    })
    this.unscanned = new Set(store.directories(prefix))
    if (this.unscanned.size === 0) this.finish()
  }

  get built(): boolean {
    return this.order !== undefined
  }

  /** 1-based rank of a member whose row is `row` (as the store has it now). */
  rank(id: string, row: Placed): number | undefined {
    const at = this.build().position(entry(id, row as unknown as Json))
    return at === undefined ? undefined : at + 1
  }

  /** The first `n` members in the order. */
  first(n: number): Ranked[] {
    return this.build().first(n)
  }

  /** Every member in the order, from the first (a generator: stop when you have enough). */
  entries(): Generator<Ranked> {
    return this.build().entries()
  }

  /** Build in the background, a bucket per turn of the event loop. */
  warm(): Promise<void> {
    this.warming ??= (async () => {
      while (this.step()) await new Promise<void>((r) => setImmediate(r))
    })()
    return this.warming
  }

  /** Build what is left and place the rows changed since, now. */
  build(): RankOrder {
    while (this.step());
    const order = this.order!
    if (this.moved.size > 0) {
      for (const [id, { key, held }] of this.moved) {
        if (held) order.remove(held)
        const now = this.store.get(key)
        if (now !== undefined) order.insert(entry(id, now))
      }
      this.moved.clear()
    }
    return order
  }

  /** Scan one bucket; false when none is left. */
  private step(): boolean {
    const dir = this.unscanned.values().next().value
    if (dir === undefined) return false
    const staged = this.staged!
    this.store.each(`${dir}/`, (d, leaf, v) => {
      if (d === dir) staged.set(unsegment(leaf), entry(unsegment(leaf), v))
    })
    this.unscanned.delete(dir)
    if (this.unscanned.size > 0) return true
    this.finish()
    return false
  }

  private finish(): void {
    this.order = RankOrder.from([...this.staged!.values()])
    this.staged = undefined
  }
}

/** A row's place; a row without numbers (hand-edited, damaged) sorts as 0 points reached at 0. */
function entry(id: string, row: Json): Ranked {
  const r = row as { total?: unknown; reachedAt?: unknown }
  return { total: typeof r.total === 'number' ? r.total : 0, reachedAt: typeof r.reachedAt === 'number' ? r.reachedAt : 0, id }
}
