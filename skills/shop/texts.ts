import type { RequirementResult } from '../../src/members/requirement.js'
import { humanDurationZh } from '../../src/time/duration.js'
import type { Segment } from '../../src/text/Outgoing.js'
import type { ShopCtx, ShopParts } from './context.js'
import type { Order, OrderStatus } from './Orders.js'
import type { MessageContext } from '../../src/engine/Skill.js'
import type { ShopConfig } from './config.js'
import type { ShopMemory } from './context.js'

type MsgCtx = MessageContext<ShopConfig, ShopMemory>

/** How many orders `我的兑换` shows (one message). */
export const MY_ORDERS_SHOWN = 10

export const STATUS_ZH: Record<OrderStatus, string> = { pending: '待发货', done: '已完成', cancelled: '已取消（已退分）' }

export function statusText(o: Order): string {
  if (o.delivery === 'codes') return o.status === 'cancelled' ? STATUS_ZH.cancelled : o.deliveredAt ? '券码已私信' : '券码发送中'
  return STATUS_ZH[o.status]
}

/** `积分商城`: the items with price and what is left. */
export function catalogText(ctx: MsgCtx, parts: ShopParts): Segment[] {
  const c = ctx.config
  if (c.items.length === 0) return ctx.render(c.listEmpty, {})
  const total = parts.points.get(ctx.talker.id)?.total ?? 0
  const out: Segment[] = [...ctx.render(c.listTitle, { name: ctx.talker.name, total })]
  for (const item of c.items) {
    const left = parts.catalog.left(item)
    out.push('\n', ...ctx.render(c.listLine, { id: item.id, item: item.name, price: item.price, left: left === undefined ? '不限' : left }))
  }
  out.push('\n', ...ctx.render(c.listFooter, { example: c.items[0]!.id }))
  return out
}

/** `我的兑换`: the member's latest orders. */
export function myOrdersText(ctx: MsgCtx, orders: Order[]): Segment[] {
  const c = ctx.config
  if (orders.length === 0) return ctx.render(c.ordersEmpty, { name: ctx.talker.name })
  const shown = orders.slice(0, MY_ORDERS_SHOWN)
  const out: Segment[] = [...ctx.render(c.ordersTitle, { name: ctx.talker.name, count: shown.length })]
  for (const o of shown) {
    out.push('\n', ...ctx.render(c.ordersLine, { order: o.id, item: o.itemName, price: o.price, status: statusText(o), date: ctx.time.format(o.at) }))
  }
  return out
}

/** What a `require:` miss means, in words: "还需要标签「活跃粉」" / "需要 100 分（现有 30 分）". */
export function missingText(why: RequirementResult): string {
  const parts: string[] = []
  if (why.points) parts.push(`需要 ${why.points.need} 分（现有 ${why.points.have} 分）`)
  if (why.tags.length > 0) parts.push(`需要标签${why.tags.map((t) => `「${t}」`).join('')}`)
  return parts.join('，')
}

/** `30天`, `12小时`; '' for ever. */
export function periodText(ms: number | undefined): string {
  return ms === undefined ? '' : humanDurationZh(ms)
}

/** One order as an admin sees it in `#order list` and replies. */
export function orderLine(ctx: ShopCtx, o: Order): string {
  const code = o.delivery === 'codes' ? '（券码，发送中）' : ''
  return `${o.id} · ${o.itemName} · ${o.memberName}（${o.member}）· ${o.price} 分 · ${ctx.time.format(o.at)}${code}`
}
