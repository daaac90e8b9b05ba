/**
 * A binary heap of indexes into the caller's data, ordered by `first(a, b) < 0` (`a` comes
 * out first). By hand, as one small piece both heaps of the member code use — the rank build's
 * k-way merge of sorted buckets (PoolRanks) and the member list's first k of n (memberList) —
 * whose order is a comparator over the caller's arrays, not over the heap's items.
 */
export class IndexHeap {
  private readonly items: number[] = []

  constructor(private readonly first: (a: number, b: number) => number) {}

  get size(): number {
    return this.items.length
  }

  /** The index that comes out first (undefined when empty). */
  get top(): number | undefined {
    return this.items[0]
  }

  push(i: number): void {
    const items = this.items
    items.push(i)
    let c = items.length - 1
    while (c > 0) {
      const p = (c - 1) >> 1
      if (this.first(items[c]!, items[p]!) >= 0) break
      ;[items[c], items[p]] = [items[p]!, items[c]!]
      c = p
    }
  }

  /** Put `i` where the top was (the top leaves), or re-place the top when its own key moved (`i` = top). */
  replaceTop(i: number): void {
    this.items[0] = i
    this.down(0)
  }

  pop(): number | undefined {
    const items = this.items
    const top = items[0]
    const last = items.pop()
    if (items.length > 0 && last !== undefined) this.replaceTop(last)
    return top
  }

  /** The indexes held, in no particular order. */
  toArray(): number[] {
    return [...this.items]
  }

  private down(at: number): void {
    const items = this.items
    for (;;) {
      const l = 2 * at + 1
      const r = l + 1
      let m = at
      if (l < items.length && this.first(items[l]!, items[m]!) < 0) m = l
      if (r < items.length && this.first(items[r]!, items[m]!) < 0) m = r
      if (m === at) return
      ;[items[m], items[at]] = [items[at]!, items[m]!]
      at = m
    }
  }
}
