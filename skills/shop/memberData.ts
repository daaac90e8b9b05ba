import type { MemberMoment } from '../../src/engine/Skill.js'
import { shopParts, type ShopCtx } from './context.js'
import type { Order } from './Orders.js'

/**
 * The shop's part of a member's data rights (CONTRACT §11). Orders stay — the stock, the
 * order numbers and the pool's points depend on them — but their personal fields go: the
 * member becomes the anonymous id (as their points row does), the name and the chat
 * message's id are emptied, and the codes they were given name the anonymous id (a code is
 * never given twice). Idempotent: groups sharing a pool each call it.
 */
export function forgetShopMember(ctx: ShopCtx, contactId: string, anonymousId: string): void {
  const { book, codes } = shopParts(ctx)
  book.anonymize(contactId, anonymousId)
  codes.anonymize(contactId, anonymousId)
}

export function exportShopMember(ctx: ShopCtx, contactId: string): { pool: string; orders: Order[] } | undefined {
  const { pool, book } = shopParts(ctx)
  const orders = book.ofMember(contactId)
  return orders.length > 0 ? { pool, orders } : undefined
}

const STATUS: Record<Order['status'], string> = { pending: '待发货', done: '已完成', cancelled: '已取消' }

/** Orders in the member's timeline: when placed, and when closed. */
export function shopMoments(ctx: ShopCtx, contactId: string): MemberMoment[] {
  const { book } = shopParts(ctx)
  return book.ofMember(contactId).flatMap((o) => [
    { at: o.at, kind: 'order', detail: `兑换 ${o.itemName}（订单 ${o.id}@${o.pool}，${o.price} 分）` },
    ...(o.closedAt !== undefined ? [{ at: o.closedAt, kind: 'order', detail: `订单 ${o.id}@${o.pool} ${STATUS[o.status]}` }] : []),
  ])
}
