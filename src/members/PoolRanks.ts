import { unsegment, type Store, type Table } from '../store/Store.js'
import type { Json } from '../store/StorageAdapter.js'
import { IndexHeap } from './IndexHeap.js'
import { compare, RankOrder, type Ranked } from './RankOrder.js'

/** The fields of a member's row that place it on the leaderboard. */
interface Placed {
  total: number
  reachedAt: number
}

/** How many of the first members the pool keeps on disk (rankTop is at most 50). */
export const HEAD_KEPT = 50

/** Entries moved into the order per turn of the event loop while it is built in the background. */
const MERGE_SLICE = 20_000

/**
 * The first members of the order as the store keeps them (`<pool>/ranks/head`): always an exact
 * head of the order — the first `rows.length` members, with their rows — so that 积分榜 right
 * after a start is answered from it while the order is still being built. `all`: these are
 * every member of the pool.
 */
interface Head {
  all: boolean
  rows: Array<{ e: Ranked; row: Json }>
}

const registry = new WeakMap<Store, Map<string, PoolRanks>>()

/**
 * A pool's leaderboard order, kept up to date by the store: every set or delete of a row under
 * the pool's `members/` (through PointsBook or anything else) moves the member in the order,
 * synchronously, in the same turn. One per store and pool, made on first use.
 *
 * Built in steps (`warm()` runs one per turn of the event loop after a start; a question that
 * needs the whole order before it is done runs the rest at once): each member bucket is scanned
 * and sorted on its own (the bucket's document is parsed then), then the sorted buckets are
 * merged into the order a slice at a time (RankOrder.append, O(1) an entry: no step sorts a
 * million rows). A change of a row in a bucket already scanned is kept aside and replayed on
 * the order when it is done; a change in a bucket not scanned yet is left to its scan, which
 * reads the value the row ends with.
 *
 * While it is built, the first members come from the head the pool keeps in the store (see
 * Head): kept up to date by the same watcher, written in the same turn as the change (so in the
 * same commit), and checked against the order once it is built (rewritten when it differs: a
 * start after an upgrade, data edited by hand or by an older siyu).
 */
export class PoolRanks {
  /** The order, once built. */
  private order: RankOrder | undefined
  /** Buckets not scanned yet. */
  private readonly unscanned: Set<string>
  /** Each scanned bucket's entries, sorted, as the scan found them. */
  private runs: Ranked[][] = []
  /** Changes of rows in scanned buckets since their scan: [id, before, after], replayed on the order. */
  private changes: Array<[string, Json | undefined, Json | undefined]> = []
  private merge: Merger | undefined
  private warming: Promise<void> | undefined
  /**
   * Members whose row changed since the order was last asked, with the entry the order still
   * holds for them (none: not in it). Placed in one go when the order is next read (`build`):
   * a member earning points message after message (activity points, CONTRACT §12) costs a map
   * entry per change rather than a removal and an insert each, and moves once, to where their
   * row ends, when somebody asks for a rank or the board.
   */
  private readonly moved = new Map<string, { key: string; held: Ranked | undefined }>()
  private head: Head | undefined

  /**
   * The pool's rank order. `headKey` (where the pool keeps its first members; PointsBook passes
   * `<pool>/ranks/head`) is read when the order is first made for this store and pool.
   */
  static of(members: Table<unknown>, headKey?: string): PoolRanks {
    const store = members.ns.store
    let pools = registry.get(store)
    if (!pools) registry.set(store, (pools = new Map()))
    let ranks = pools.get(members.ns.prefix)
    if (!ranks) pools.set(members.ns.prefix, (ranks = new PoolRanks(store, members, headKey)))
    return ranks
  }

  private constructor(
    private readonly store: Store,
    private readonly members: Table<unknown>,
    private readonly headKey: string | undefined,
  ) {
    const prefix = members.ns.prefix
    if (headKey) this.head = readHead(store.get(headKey))
    store.watch(prefix, (dir, leaf, before, after) => {
      const id = unsegment(leaf)
      // (a bucket not scanned yet: its scan will read the value the row ends with)
      if (!this.unscanned.has(dir)) {
        if (this.order) {
          // placed when the order is next asked: the place the order still holds is what it must remove
          if (!this.moved.has(id)) this.moved.set(id, { key: `${dir}/${leaf}`, held: before === undefined ? undefined : entry(id, before) })
        } else this.changes.push([id, before, after])
      }
      // after the order knows of the change: the head may be filled again from it
      if (this.head) this.follow(this.head, id, after)
    })
    this.unscanned = new Set(store.directories(prefix))
    while (!this.order && this.unscanned.size === 0) this.step()
  }

  get built(): boolean {
    return this.order !== undefined
  }

  /** 1-based rank of a member whose row is `row` (as the store has it now). */
  rank(id: string, row: Placed): number | undefined {
    if (!this.order && this.head) {
      const i = this.head.rows.findIndex((r) => r.e.id === id)
      if (i >= 0) return i + 1
    }
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

  /**
   * While the order is being built: the first members as the pool keeps them, with their rows
   * (`all`: every member of the pool is there). Undefined once the order is built (ask it), or
   * when the pool keeps none yet.
   */
  kept(): { all: boolean; rows: Array<{ entry: Ranked; row: Json }> } | undefined {
    if (this.order || !this.head) return undefined
    return { all: this.head.all, rows: this.head.rows.map((r) => ({ entry: r.e, row: r.row })) }
  }

  /** Build in the background, a step (a bucket, or a slice of the merge) per turn of the event loop. */
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

  /** One step of the build; false when the order is built. */
  private step(): boolean {
    if (this.order) return false
    const dir = this.unscanned.values().next().value
    if (dir !== undefined) {
      const run: Ranked[] = []
      this.store.each(`${dir}/`, (d, leaf, v) => {
        if (d === dir) run.push(entry(unsegment(leaf), v))
      })
      this.runs.push(run.sort(compare))
      this.unscanned.delete(dir)
      return true
    }
    this.merge ??= new Merger(this.runs)
    if (!this.merge.pour(MERGE_SLICE)) return true
    const order = this.merge.order
    for (const [id, before, after] of this.changes) {
      if (before !== undefined) order.remove(entry(id, before))
      if (after !== undefined) order.insert(entry(id, after))
    }
    this.order = order
    this.runs = []
    this.changes = []
    this.merge = undefined
    this.checkHead()
    return false
  }

  /** A member's row changed: keep the head an exact head of the order. */
  private follow(head: Head, id: string, after: Json | undefined): void {
    const rows = head.rows
    const i = rows.findIndex((r) => r.e.id === id)
    let changed = false
    if (i >= 0) {
      rows.splice(i, 1)
      changed = true
    }
    if (after !== undefined) {
      const e = entry(id, after)
      const last = rows[rows.length - 1]
      // in only where it is known to belong: before the last kept (or anywhere when all are kept)
      if (head.all || (last && compare(e, last.e) < 0)) {
        let at = rows.findIndex((r) => compare(e, r.e) < 0)
        if (at < 0) at = rows.length
        rows.splice(at, 0, { e, row: after })
        if (rows.length > HEAD_KEPT) {
          rows.length = HEAD_KEPT
          head.all = false
        }
        changed = true
      }
    }
    if (!changed) return
    // fewer kept than it could: filled again from the order, once there is one
    if (this.order && !head.all && rows.length < HEAD_KEPT) this.head = this.headOf(this.build())
    this.saveHead()
  }

  /** The order is built: the head kept in the store must be its head (else it is written again). */
  private checkHead(): void {
    if (!this.headKey) return
    const fresh = this.headOf(this.order!)
    const old = this.head
    this.head = fresh
    if (!old && fresh.rows.length === 0) return // an empty pool: nothing to keep until a member has points
    const same =
      old !== undefined &&
      old.all === fresh.all &&
      old.rows.length === fresh.rows.length &&
      old.rows.every((r, i) => compare(r.e, fresh.rows[i]!.e) === 0 && JSON.stringify(r.row) === JSON.stringify(fresh.rows[i]!.row))
    if (!same) this.saveHead()
  }

  private headOf(order: RankOrder): Head {
    const rows: Head['rows'] = []
    for (const e of order.first(HEAD_KEPT)) {
      const row = this.members.get(e.id) as Json | undefined
      if (row !== undefined) rows.push({ e, row })
    }
    return { all: order.size <= HEAD_KEPT, rows }
  }

  private saveHead(): void {
    if (!this.headKey || !this.head) return
    this.store.set(this.headKey, { v: 1, all: this.head.all, rows: this.head.rows.map((r) => [r.e.id, r.row]) })
  }
}

/** The head as the store keeps it; undefined when there is none or it is not one (then it is made again once the order is built). */
function readHead(v: Json | undefined): Head | undefined {
  const h = v as { v?: unknown; all?: unknown; rows?: unknown } | undefined
  if (!h || typeof h !== 'object' || h.v !== 1 || typeof h.all !== 'boolean' || !Array.isArray(h.rows)) return undefined
  const rows: Head['rows'] = []
  const ids = new Set<string>()
  for (const r of h.rows as unknown[]) {
    if (!Array.isArray(r) || typeof r[0] !== 'string' || r[1] === undefined || ids.has(r[0])) return undefined
    ids.add(r[0])
    const e = entry(r[0], r[1] as Json)
    if (rows.length > 0 && compare(rows[rows.length - 1]!.e, e) >= 0) return undefined
    rows.push({ e, row: r[1] as Json })
  }
  return { all: h.all, rows }
}

/**
 * Merges sorted runs into a new order, a slice at a time: a heap of the runs by their next
 * entry (log2 of the runs' count comparisons an entry).
 */
class Merger {
  readonly order = new RankOrder()
  private last: Ranked | undefined
  private readonly heap: IndexHeap
  private readonly at: number[]

  constructor(private readonly runs: Ranked[][]) {
    this.at = runs.map(() => 0)
    this.heap = new IndexHeap((a, b) => compare(this.next(a), this.next(b)))
    runs.forEach((r, i) => {
      if (r.length > 0) this.heap.push(i)
    })
  }

  /** Move up to `n` entries into the order; true when every run is used up. */
  pour(n: number): boolean {
    const { heap, runs, at } = this
    for (let k = 0; k < n && heap.size > 0; k++) {
      const r = heap.top!
      const e = this.next(r)
      // the same row twice (a member's row copied into a second bucket by hand): once in the order
      if (!this.last || compare(this.last, e) !== 0) this.order.append((this.last = e))
      if (++at[r]! < runs[r]!.length) heap.replaceTop(r)
      else heap.pop()
    }
    return heap.size === 0
  }

  private next(r: number): Ranked {
    return this.runs[r]![this.at[r]!]!
  }
}

/** A row's place; a row without numbers (hand-edited, damaged) sorts as 0 points reached at 0. */
function entry(id: string, row: Json): Ranked {
  const r = row as { total?: unknown; reachedAt?: unknown }
  return { total: typeof r.total === 'number' ? r.total : 0, reachedAt: typeof r.reachedAt === 'number' ? r.reachedAt : 0, id }
}
