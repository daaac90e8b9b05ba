import { ApiError, iso, type ConsoleDeps, type Via } from '../../../src/console/extensions.js'
import { Catalog } from '../Catalog.js'
import { CodeLedger } from '../Codes.js'
import type { ShopConfig } from '../config.js'
import { cancelOrder, markDone, orderBook, type CloseResult, type Order, type OrderStatus } from '../Orders.js'

/** The pool a group's shop spends: `shop.pool`, else the group's checkin pool (as skills/shop/context.ts). */
interface ShopPool {
  pool: string
  config: ShopConfig
}

/**
 * The shop's orders for the console and the API. It calls the shop's own functions
 * (markDone, cancelOrder: the refund, the stock, the tag) — the same code as `#order`, never a
 * second implementation — and adds what the chat command gets from its room: the member
 * is told privately (the chat command says it in the room, where the member reads it).
 */
export class OrderDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  /** Every pool a shop spends, with the first group's shop config for it (its items). */
  shopPools(): ShopPool[] {
    const seen = new Map<string, ShopPool>()
    for (const g of this.deps.config().groups) {
      const config = g.skills.get('shop') as ShopConfig | undefined
      if (!config) continue
      const pool = config.pool ?? this.deps.engine.pointsPool(g.name)
      if (!seen.has(pool)) seen.set(pool, { pool, config })
    }
    return [...seen.values()]
  }

  list(q: { status?: OrderStatus; pool?: string; limit: number }) {
    const pools = this.shopPools().map((p) => p.pool)
    if (q.pool !== undefined && !pools.includes(q.pool)) throw new ApiError(400, `没有积分池「${q.pool}」的商城 (no shop spends pool "${q.pool}"); pools: ${pools.join(', ') || '(none)'}`)
    const orders: Order[] = []
    for (const pool of q.pool === undefined ? pools : [q.pool]) {
      const book = orderBook(this.deps.store, pool)
      // pending ones come from the open index; the others need the scan
      const rows = q.status === 'pending' ? book.open() : book.all().filter((o) => q.status === undefined || o.status === q.status)
      orders.push(...rows)
    }
    return orders
      .sort((a, b) => a.at - b.at || a.pool.localeCompare(b.pool) || Number(a.id) - Number(b.id))
      .slice(0, q.limit)
      .map((o) => this.view(o))
  }

  done(rawId: string, via: Via, notify: boolean) {
    const { pool, id } = this.resolve(rawId)
    const r = markDone(orderBook(this.deps.store, pool), id, via, this.deps.clock.now())
    const order = this.settled(r, pool, id)
    if (notify) this.tell(order, `【兑换已完成】你兑换的 ${order.itemName}（订单 ${order.id}）已处理完成，请留意查收～`)
    return { ...this.view(order), notified: notify }
  }

  cancel(rawId: string, via: Via, o: { note?: string; notify: boolean }) {
    const { pool, id } = this.resolve(rawId)
    const now = this.deps.clock.now()
    const book = orderBook(this.deps.store, pool)
    const engine = this.deps.engine
    // a code still waiting in the send queue is withdrawn through the shop's own context (the
    // registered skill, by name: importing the skill here would be an import cycle)
    const shopSkill = engine.deps.skills.find((s) => s.name === 'shop')
    const withdraw = (tag: string, group: string) => (shopSkill ? engine.brandContext(shopSkill).withdraw(tag, group) : 0)
    const deps = { points: engine.points(pool), tags: engine.tags, day: engine.time.dayKey(now), withdraw }
    const r = cancelOrder(book, id, via, now, deps, o.note)
    const order = this.settled(r, pool, id)
    const shop = this.shopPools().find((p) => p.pool === pool)
    const item = shop?.config.items.find((i) => i.id === order.item)
    const left = item ? (new Catalog(shop!.config.items, book, new CodeLedger(this.deps.store)).left(item) ?? null) : undefined
    const refunded = r.ok ? r.refunded : undefined
    const total = r.ok ? r.total : undefined
    if (o.notify) {
      const why = o.note ? `（原因：${o.note}）` : ''
      this.tell(order, `【兑换已取消】你兑换的 ${order.itemName}（订单 ${order.id}）已取消${why}，退回 ${refunded} 分，现有 ${total} 分`)
    }
    return { ...this.view(order), refunded, total, ...(left !== undefined ? { left } : {}), notified: o.notify }
  }

  /**
   * `12@fans` → that pool (as a live in two groups is `a3@fans`); `12` (or `#12`, as in chat)
   * → the one shop pool that has order 12. Two pools with an order 12: 400, naming both refs
   * (an admin in chat has the pool of the group they type in).
   */
  private resolve(raw: string): { pool: string; id: string } {
    const at = raw.indexOf('@')
    const id = (at < 0 ? raw : raw.slice(0, at)).replace(/^#/, '')
    const pools = this.shopPools().map((p) => p.pool)
    if (at >= 0) {
      const pool = raw.slice(at + 1)
      if (!pools.includes(pool) || !orderBook(this.deps.store, pool).get(id)) throw new ApiError(404, `没有订单 ${raw} (no such order)`)
      return { pool, id }
    }
    const having = pools.filter((p) => orderBook(this.deps.store, p).get(id))
    if (having.length === 0) throw new ApiError(404, `没有订单 ${id} (no such order)`)
    if (having.length > 1) throw new ApiError(400, `订单号 ${id} 在几个积分池里都有，请写 ${having.map((p) => `${id}@${p}`).join(' 或 ')} (ambiguous order id)`)
    return { pool: having[0]!, id }
  }

  private settled(r: CloseResult, pool: string, id: string): Order {
    if (r.ok) return r.order
    if (r.reason === 'unknown') throw new ApiError(404, `没有订单 ${id}@${pool} (no such order)`)
    if (r.reason === 'sent') throw new ApiError(409, `订单 ${id}@${pool} 的券码已经发给会员（或正在发送），不能取消 (the code is out: it cannot be taken back)`)
    const was = r.order!.status === 'done' ? '完成' : '取消'
    throw new ApiError(409, `订单 ${id}@${pool} 已经${was}了，不能再改 (the order is ${r.order!.status} already)`)
  }

  /** Privately, through the send queue, once the change is on disk. */
  private tell(order: Order, text: string): void {
    void this.deps.queue.enqueue(order.member, [text], { kind: 'owed', after: this.deps.store.durable() }).then((r) => {
      if (!r.sent) this.deps.log.warn({ order: order.id, pool: order.pool, member: order.member, reason: r.reason }, 'the member was not told about the order change')
    })
  }

  private view(o: Order) {
    return {
      id: o.id,
      ref: `${o.id}@${o.pool}`,
      pool: o.pool,
      item: o.item,
      itemName: o.itemName,
      memberId: o.member,
      memberName: o.memberName,
      group: o.group,
      roomId: o.room,
      status: o.status,
      at: iso(this.deps, o.at),
      price: o.price,
      delivery: o.delivery,
      delivered: o.deliveredAt !== undefined,
      ...(o.closedAt !== undefined ? { closedAt: iso(this.deps, o.closedAt) } : {}),
      ...(o.closedBy !== undefined ? { closedBy: o.closedBy } : {}),
      ...(o.note !== undefined ? { note: o.note } : {}),
    }
  }
}
