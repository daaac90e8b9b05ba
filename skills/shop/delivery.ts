import { codeTag, orderBook, type Order, type OrderBook } from './Orders.js'
import { shopParts, type ShopCtx } from './context.js'

/**
 * Getting the goods to the member once the order is on disk (every message here is queued
 * with `after: durable`, so none leaves before the order is stored).
 *
 * - `codes`: the code goes privately to the member. The order stays `pending` until the
 *   puppet accepted that message, then it is `done` (closed by `auto`). After a crash or a
 *   failed send the code is sent again at the next start (the same code to the same member:
 *   never a second code, never someone else's).
 * - `admin`: every admin is told privately: the order id, the member, the item, and how to
 *   close it. The order stays `pending` until an admin types `#order done <id>`; `#order list`
 *   shows what is still to ship, so a notice lost in a crash is not an order lost.
 */
export function deliver(ctx: ShopCtx, order: Order, topic: string): void {
  if (order.delivery === 'codes') sendCode(ctx, order)
  else tellAdmins(ctx, order, topic)
}

export function sendCode(ctx: ShopCtx, order: Order): void {
  if (order.code === undefined || ctx.memory.delivering.has(order.id)) return
  ctx.memory.delivering.add(order.id)
  const text = ctx.render(ctx.config.codeText, { name: order.memberName, item: order.itemName, code: order.code, order: order.id })
  const book = (): OrderBook => orderBook(ctx.store.store, order.pool)
  void ctx.sayIn(order.member, text, {
    // owed (the order is stored) and a message of its own: onSent marks exactly this one delivered
    kind: 'owed',
    mergeable: false,
    because: 'code',
    // `#order cancel` withdraws it while it waits (see cancelOrder)
    tag: codeTag(order),
    // from here the member may get the code: the order can no longer be cancelled (on disk
    // first, so a crash in the middle of the send does not forget it)
    beforeSend: async () => {
      const current = book().get(order.id)
      if (current?.status === 'pending' && current.sendingAt === undefined) book().put({ ...current, sendingAt: ctx.clock.now() })
      await ctx.durable()
    },
    // a lost send is sent again (the same code to the same member), as before
    atMostOnce: false,
    onSent: () => {
      ctx.memory.delivering.delete(order.id)
      const now = ctx.clock.now()
      const current = book().get(order.id)
      if (!current || current.deliveredAt !== undefined) return
      book().put(current.status === 'pending' ? { ...current, status: 'done', deliveredAt: now, closedAt: now, closedBy: 'auto' } : { ...current, deliveredAt: now })
      ctx.log.info({ audit: true, order: order.id, pool: order.pool, member: order.member, item: order.item, by: 'auto' }, 'order done: code delivered')
    },
    onDropped: (reason) => {
      ctx.memory.delivering.delete(order.id)
      const current = book().get(order.id)
      if (current?.status !== 'pending') {
        ctx.log.info({ order: order.id, member: order.member, status: current?.status }, 'the code message was withdrawn: the order is closed')
        return
      }
      // given up (failed every retry, shutdown): cancellable again until it is sent again
      if (current.sendingAt !== undefined) {
        const { sendingAt: _, ...rest } = current
        book().put(rest)
      }
      ctx.log.warn({ order: order.id, member: order.member, reason }, 'the code message was not sent; it is sent again at the next start')
    },
  })
}

function tellAdmins(ctx: ShopCtx, order: Order, topic: string): void {
  const p = ctx.bot.commandPrefix
  const notice = ctx.render(ctx.config.adminNotice, {
    order: order.id,
    name: order.memberName,
    id: order.member,
    item: order.itemName,
    price: order.price,
    group: order.group,
    topic,
  })
  const how = `\n发货后：${p}order done ${order.id} · 取消并退分：${p}order cancel ${order.id}（在该群发送）`
  // owed (the order is stored); an admin's notices merge when several wait
  for (const admin of ctx.bot.admins) void ctx.tell(admin, [...notice, how], { kind: 'owed' })
  if (ctx.bot.admins.length === 0) ctx.log.warn({ order: order.id }, 'an order to ship and no bot.admins to tell')
}

/** At start (and reload): code orders of this group whose message never went out. */
export function resumeCodes(ctx: ShopCtx): void {
  const { book } = shopParts(ctx)
  for (const order of book.open()) {
    if (order.delivery !== 'codes' || order.group !== ctx.group.name || order.deliveredAt !== undefined) continue
    if (ctx.memory.delivering.has(order.id)) continue
    ctx.log.info({ order: order.id, member: order.member }, 'sending a code that was not delivered before the restart')
    sendCode(ctx, order)
  }
}
