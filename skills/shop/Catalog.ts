import type { CodeLedger } from './Codes.js'
import type { ItemConfig } from './config.js'
import type { OrderBook } from './Orders.js'

/**
 * The items of a shop as configured, with what is left of each. Stock is counted, not
 * stored: the config's `stock` is how many there are in all, the store keeps how many live
 * orders took one — so an operator who raises `stock` from 50 to 80 and reloads sells 30 more,
 * and a cancelled order gives its one back. For codes, the free codes also bound what is left.
 */
export class Catalog {
  constructor(
    readonly items: readonly ItemConfig[],
    private readonly book: OrderBook,
    private readonly codes: CodeLedger,
  ) {}

  /** By id (any case) or by exact name. */
  find(query: string): ItemConfig | undefined {
    return findItem(this.items, query)
  }

  /** How many can still be redeemed; undefined: unlimited. */
  left(item: ItemConfig): number | undefined {
    const byStock = item.stock === undefined ? undefined : Math.max(0, item.stock - this.book.taken(item.id))
    if (item.delivery !== 'codes' || !item.codes) return byStock
    const free = this.codes.freeCount(item.codes)
    return byStock === undefined ? free : Math.min(byStock, free)
  }

  /** Is at least one left? (Cheaper than left() for codes: stops at the first free code.) */
  available(item: ItemConfig): boolean {
    if (item.stock !== undefined && this.book.taken(item.id) >= item.stock) return false
    if (item.delivery === 'codes' && item.codes) return this.codes.nextFree(item.codes) !== undefined
    return true
  }
}

/** An item by id (any case) or by exact name. */
export function findItem(items: readonly ItemConfig[], query: string): ItemConfig | undefined {
  const q = query.trim()
  const lower = q.toLowerCase()
  return items.find((i) => i.id.toLowerCase() === lower) ?? items.find((i) => i.name === q)
}
