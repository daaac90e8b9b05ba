/**
 * Members in leaderboard order — more points first; on equal points whoever reached that
 * total earlier; then by id — with each one's position in O(log n): an order-statistic
 * structure kept up to date on every change of points, so that 我的积分 and 积分榜 cost
 * microseconds at a million members instead of a scan of the pool.
 *
 * A sorted list cut into blocks of at most MAX_BLOCK entries (the layout of Python's
 * sortedcontainers): finding a place is two binary searches (over the blocks' last entries,
 * then inside one block), a position is the sizes of the blocks before plus the place in the
 * block, and an insert or a removal moves at most one block's entries. Each block keeps its
 * entries in three parallel arrays (points, time reached, id) — about 24 bytes an entry, the
 * ids shared with the store's keys.
 *
 * Written by hand: the npm order-statistic trees we found either make an object per entry
 * (js-sdsl's red-black tree with `enableIndex`: a node of seven fields plus a key object, by
 * its layout several times these 24 bytes — not measured here) or have no positions at all
 * (sorted-btree).
 */
export interface Ranked {
  total: number
  reachedAt: number
  id: string
}

const MAX_BLOCK = 1024
const MIN_BLOCK = MAX_BLOCK / 16

interface Block {
  totals: number[]
  ats: number[]
  ids: string[]
}

export class RankOrder {
  private blocks: Block[] = []
  private count = 0

  get size(): number {
    return this.count
  }

  /** Build from entries in any order (sorted here once: cheaper than inserting one by one). */
  static from(entries: Ranked[]): RankOrder {
    const o = new RankOrder()
    entries.sort(compare)
    for (const e of entries) o.append(e)
    return o
  }

  /**
   * Add an entry that comes after every entry in the order (a bulk load from sorted input, in
   * O(1) each: blocks are filled half full, as `insert` leaves them after a split). Throws
   * when `e` is not after the last entry.
   */
  append(e: Ranked): void {
    let block = this.blocks[this.blocks.length - 1]
    if (block && compareAt(block, block.ids.length - 1, e) >= 0) throw new Error(`RankOrder.append: ${e.id} is not after the last entry`)
    if (!block || block.ids.length >= MAX_BLOCK / 2) this.blocks.push((block = { totals: [], ats: [], ids: [] }))
    block.totals.push(e.total)
    block.ats.push(e.reachedAt)
    block.ids.push(e.id)
    this.count++
  }

  insert(e: Ranked): void {
    if (this.blocks.length === 0) {
      this.blocks.push({ totals: [e.total], ats: [e.reachedAt], ids: [e.id] })
      this.count = 1
      return
    }
    const b = Math.min(this.blockFor(e), this.blocks.length - 1)
    const block = this.blocks[b]!
    const i = placeIn(block, e)
    block.totals.splice(i, 0, e.total)
    block.ats.splice(i, 0, e.reachedAt)
    block.ids.splice(i, 0, e.id)
    this.count++
    if (block.ids.length > MAX_BLOCK) {
      const half = block.ids.length >> 1
      this.blocks.splice(b + 1, 0, { totals: block.totals.splice(half), ats: block.ats.splice(half), ids: block.ids.splice(half) })
    }
  }

  /** Remove an entry (exactly this one); false when it is not there. */
  remove(e: Ranked): boolean {
    const b = this.blockFor(e)
    const block = this.blocks[b]
    if (!block) return false
    const i = placeIn(block, e)
    if (block.ids[i] !== e.id || block.totals[i] !== e.total || block.ats[i] !== e.reachedAt) return false
    block.totals.splice(i, 1)
    block.ats.splice(i, 1)
    block.ids.splice(i, 1)
    this.count--
    if (block.ids.length === 0) this.blocks.splice(b, 1)
    else if (block.ids.length < MIN_BLOCK && b + 1 < this.blocks.length && block.ids.length + this.blocks[b + 1]!.ids.length <= MAX_BLOCK) {
      // keep blocks from thinning out under churn: positions sum the blocks before
      const next = this.blocks[b + 1]!
      block.totals.push(...next.totals)
      block.ats.push(...next.ats)
      block.ids.push(...next.ids)
      this.blocks.splice(b + 1, 1)
    }
    return true
  }

  /** 0-based position of an entry that is in the order; undefined when it is not. */
  position(e: Ranked): number | undefined {
    const b = this.blockFor(e)
    const block = this.blocks[b]
    if (!block) return undefined
    const i = placeIn(block, e)
    if (block.ids[i] !== e.id) return undefined
    let before = 0
    for (let k = 0; k < b; k++) before += this.blocks[k]!.ids.length
    return before + i
  }

  /** The first `n` entries, in order. */
  first(n: number): Ranked[] {
    const out: Ranked[] = []
    for (const block of this.blocks) {
      for (let i = 0; i < block.ids.length; i++) {
        if (out.length === n) return out
        out.push({ total: block.totals[i]!, reachedAt: block.ats[i]!, id: block.ids[i]! })
      }
    }
    return out
  }

  /** Every entry, in order, from the first (stop early to read only the head). */
  *entries(): Generator<Ranked> {
    for (const block of this.blocks) {
      for (let i = 0; i < block.ids.length; i++) yield { total: block.totals[i]!, reachedAt: block.ats[i]!, id: block.ids[i]! }
    }
  }

  /** The first block whose last entry is not before `e` (the block `e` belongs in), or blocks.length. */
  private blockFor(e: Ranked): number {
    let lo = 0
    let hi = this.blocks.length
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      const b = this.blocks[mid]!
      const last = b.ids.length - 1
      if (compareAt(b, last, e) < 0) lo = mid + 1
      else hi = mid
    }
    return lo
  }
}

/** Leaderboard order: a negative number when a ranks before b. */
export function compare(a: Ranked, b: Ranked): number {
  if (a.total !== b.total) return b.total - a.total
  if (a.reachedAt !== b.reachedAt) return a.reachedAt - b.reachedAt
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0
}

/** compare(block entry i, e) without making an object of the entry. */
function compareAt(b: Block, i: number, e: Ranked): number {
  const t = b.totals[i]!
  if (t !== e.total) return e.total - t
  const at = b.ats[i]!
  if (at !== e.reachedAt) return at - e.reachedAt
  const id = b.ids[i]!
  return id < e.id ? -1 : id > e.id ? 1 : 0
}

/** The first index in the block whose entry is not before `e`. */
function placeIn(b: Block, e: Ranked): number {
  let lo = 0
  let hi = b.ids.length
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (compareAt(b, mid, e) < 0) lo = mid + 1
    else hi = mid
  }
  return lo
}
