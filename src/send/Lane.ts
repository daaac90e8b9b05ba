import type { Item } from './Item.js'
import type { SlidingWindow } from './SlidingWindow.js'

/**
 * One conversation's waiting texts, in two tiers: what is owed (confirmations, reminders)
 * and informational replies. Each tier keeps its order; the owed tier always goes first. It
 * also knows what it would cost to send everything waiting, in messages, for the bound.
 */
export class Lane {
  /** `owed` and `scheduled` texts, oldest first. */
  readonly owed: Item[] = []
  /** `info` texts, oldest first (so the first one is also the first to expire). */
  readonly info: Item[] = []
  /** Waiting informational replies by coalescing key. */
  readonly byKey = new Map<string, Item>()
  busy = false
  attempts = 0
  retryAt = 0
  private unmergeable = 0
  private mergeableChars = 0

  constructor(
    readonly id: string,
    public window: SlidingWindow | undefined,
  ) {}

  get size(): number {
    return this.owed.length + this.info.length
  }

  /** Messages it takes to send everything waiting (merged as the queue merges). */
  cost(maxLength: number, extra?: Item): number {
    let unmergeable = this.unmergeable
    let chars = this.mergeableChars
    if (extra) {
      if (extra.mergeable) chars += extra.length + 1
      else unmergeable++
    }
    return unmergeable + Math.ceil(chars / maxLength)
  }

  /** The text that would go next: the owed tier's head when ready, else the info tier's. */
  head(): Item | undefined {
    const owed = this.owed[0]
    if (owed?.ready) return owed
    const info = this.info[0]
    return info?.ready ? info : undefined
  }

  push(item: Item): void {
    this.tier(item).push(item)
    this.added(item)
  }

  /** Put texts of a failed send back at the front of their tiers, in their old order. */
  putBack(items: readonly Item[]): void {
    for (const item of [...items].reverse()) {
      this.tier(item).unshift(item)
      this.added(item)
    }
  }

  /** Take the head of `tier` (the caller checked it exists). */
  shift(tier: Item[]): Item {
    const item = tier.shift()!
    this.removed(item)
    return item
  }

  remove(item: Item): boolean {
    const tier = this.tier(item)
    const i = tier.indexOf(item)
    if (i < 0) return false
    tier.splice(i, 1)
    this.removed(item)
    return true
  }

  /** An item changed length (a coalesced asker's mention). */
  grew(item: Item, delta: number): void {
    if (item.mergeable) this.mergeableChars += delta
  }

  private tier(item: Item): Item[] {
    return item.kind === 'info' ? this.info : this.owed
  }

  private added(item: Item): void {
    if (item.mergeable) this.mergeableChars += item.length + 1
    else this.unmergeable++
    if (item.key !== undefined) this.byKey.set(item.key, item)
  }

  private removed(item: Item): void {
    if (item.mergeable) this.mergeableChars -= item.length + 1
    else this.unmergeable--
    if (item.key !== undefined && this.byKey.get(item.key) === item) this.byKey.delete(item.key)
  }
}
