import type { CommandContext, CommandSpec, SendOptions } from '../../src/engine/Skill.js'
import type { ShopConfig } from './config.js'
import { shopParts, type ShopMemory } from './context.js'
import { cancelOrder, markDone, type CloseResult } from './Orders.js'
import { orderLine } from './texts.js'

/**
 * `#order list`, `#order done <id>`, `#order cancel <id> [原因]`: the admin's side, acting on
 * the orders of the pool this group's shop spends. Only admins get here (the core swallows
 * everyone else's `#order` and writes the command's audit line); each change also writes its
 * own audit line with the order. Replies wait until the change is on disk (ctx.say).
 */
type Ctx = CommandContext<ShopConfig, ShopMemory>

/** `#order list` shows at most this many (one message); the rest are counted. */
export const OPEN_ORDERS_SHOWN = 30

export const orderCommand: CommandSpec<ShopConfig, ShopMemory> = {
  usage: 'order list · done <订单号> · cancel <订单号> [原因]',
  run(ctx) {
    const [sub = '', id, ...note] = ctx.args
    switch (sub.toLowerCase()) {
      case 'list':
        return list(ctx)
      case 'done':
        if (!id || note.length > 0) return ctx.usage('写上一个订单号，例如 #order done 12')
        return close(ctx, id, 'done')
      case 'cancel':
        if (!id) return ctx.usage('写上订单号，例如 #order cancel 12 缺货')
        return close(ctx, id, 'cancel', note.join(' ') || undefined)
      default:
        return ctx.usage(sub ? `没有「${sub}」这个子命令` : undefined)
    }
  },
}

async function list(ctx: Ctx): Promise<void> {
  const { book, pool } = shopParts(ctx)
  const open = book.open()
  if (open.length === 0) {
    await ctx.say(`积分池 ${pool} 没有待处理的订单`, listReply(ctx))
    return
  }
  const shown = open.slice(0, OPEN_ORDERS_SHOWN).map((o) => orderLine(ctx, o))
  const more = open.length > shown.length ? `\n……还有 ${open.length - shown.length} 单` : ''
  const p = ctx.bot.commandPrefix
  await ctx.say(`积分池 ${pool} 待处理订单（${open.length}）：\n${shown.join('\n')}${more}\n发货后：${p}order done <订单号>`, listReply(ctx))
}

/** `#order list` is a list: one per room while it waits, @-ing every admin who asked. */
function listReply(ctx: Ctx): SendOptions {
  return { kind: 'info', mergeable: false, coalesce: { key: 'shop:admin-orders', asker: ctx.talker } }
}

async function close(ctx: Ctx, rawId: string, what: 'done' | 'cancel', note?: string): Promise<void> {
  const { book, pool, points } = shopParts(ctx)
  const now = ctx.clock.now()
  const id = rawId.replace(/^#/, '')
  const r: CloseResult =
    what === 'done'
      ? markDone(book, id, ctx.talker.id, now)
      : cancelOrder(book, id, ctx.talker.id, now, { points, tags: ctx.tags, day: ctx.time.dayKey(now), withdraw: (tag, group) => ctx.withdraw(tag, group) }, note)
  if (!r.ok) {
    const why =
      r.reason === 'unknown'
        ? `积分池 ${pool} 没有订单 ${id}`
        : r.reason === 'sent'
          ? `订单 ${id} 的券码已经发给会员（或正在发送），券码收不回，不能取消；要补偿请用 ${ctx.bot.commandPrefix}points add`
          : `订单 ${id} 已经${r.order!.status === 'done' ? '完成' : '取消'}了，不能再改`
    await ctx.usage(why)
    return
  }
  const o = r.order
  ctx.log.info(
    { audit: true, order: o.id, pool, member: o.member, item: o.item, price: o.price, status: o.status, by: ctx.talker.id, ...(note ? { note } : {}) },
    what === 'done' ? 'order done' : 'order cancelled and refunded',
  )
  const text =
    what === 'done'
      ? `订单 ${o.id} 已标记完成：${o.memberName} 的 ${o.itemName}`
      : `订单 ${o.id} 已取消：${o.memberName} 的 ${o.itemName}，退回 ${r.refunded} 分（现有 ${r.total} 分），库存已恢复`
  await ctx.say(text, { kind: 'owed' })
}
