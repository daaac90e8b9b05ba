import type { GroupContext } from '../../src/engine/Skill.js'
import type { PointsBook } from '../../src/members/PointsBook.js'
import { Catalog } from './Catalog.js'
import { CodeLedger } from './Codes.js'
import type { ShopConfig } from './config.js'
import { orderBook, type OrderBook } from './Orders.js'

/** Working memory of the shop in one group (not durable). */
export class ShopMemory {
  /** Code orders whose private message is queued: not queued again by a reload's resume. */
  readonly delivering = new Set<string>()
}

export type ShopCtx = GroupContext<ShopConfig, ShopMemory>

/** The pool this group's shop spends: `shop.pool`, else the group's checkin pool. */
export function shopPool(ctx: ShopCtx): string {
  return ctx.config.pool ?? ctx.pointsPool
}

/** What a handler needs, made per event (cheap objects over the shared store). */
export interface ShopParts {
  pool: string
  book: OrderBook
  codes: CodeLedger
  catalog: Catalog
  points: PointsBook
}

export function shopParts(ctx: ShopCtx): ShopParts {
  const pool = shopPool(ctx)
  const book = orderBook(ctx.store.store, pool)
  const codes = new CodeLedger(ctx.store.store)
  return { pool, book, codes, catalog: new Catalog(ctx.config.items, book, codes), points: ctx.points(pool) }
}
