import { defineSkill, type MessageContext } from '../../src/engine/Skill.js'
import { humanDurationZh } from '../../src/time/duration.js'
import { uses } from '../../src/text/template.js'
import { orderCommand } from './commands.js'
import { findItem } from './Catalog.js'
import { ordersSection } from './console/index.js'
import { ShopConfig, type ItemConfig } from './config.js'
import { ShopMemory, shopParts } from './context.js'
import { deliver, resumeCodes } from './delivery.js'
import { exportShopMember, forgetShopMember, shopMoments } from './memberData.js'
import { redeem, type RedeemOutcome } from './redeem.js'
import { catalogText, missingText, myOrdersText, periodText } from './texts.js'

/**
 * shop — points are worth something (积分兑换, CONTRACT §7). Members list the items
 * (`积分商城`), redeem one (`兑换 <id or name>`) and see their orders (`我的兑换`); admins
 * ship, list and cancel orders (`#order`). A redemption is one synchronous change — debit,
 * stock, order, code — so it is one group commit, on disk before the reply (see redeem.ts);
 * the goods go out after it (see delivery.ts). State per pool in Orders.ts, codes brand-wide
 * in Codes.ts.
 */
type Ctx = MessageContext<ShopConfig, ShopMemory>

export const ShopSkill = defineSkill<ShopConfig, ShopMemory>({
  name: 'shop',
  description: 'points shop (积分兑换): items with stock and limits, redemption, delivery by the admins or by codes, #order',
  config: ShopConfig,
  memory: () => new ShopMemory(),

  check(config, report) {
    const seen = new Map<string, number>()
    config.items.forEach((item, i) => {
      const key = item.id.toLowerCase()
      const first = seen.get(key)
      if (first !== undefined) report.error(['items', i, 'id'], `item id "${item.id}" is already used by item ${first + 1}; ids must be unique (any case)`)
      else seen.set(key, i)
      if (item.codes?.duplicates) report.warn(['items', i, 'codes'], `codes file ${item.codes.file} repeats ${item.codes.duplicates} code(s); each is given once`)
      if (item.codes && item.codes.codes.length === 0) report.warn(['items', i, 'codes'], `codes file ${item.codes.file} has no codes: the item is sold out`)
    })
  },

  summary(config) {
    if (config.items.length === 0) return ['no items yet']
    return config.items.map((i) => {
      const stock = i.stock === undefined ? '' : `, stock ${i.stock}`
      const codes = i.codes ? `, ${i.codes.codes.length} codes in ${i.codes.file}` : ''
      const limit = i.perMember ? `, ${i.perMember}/member${i.period ? ` per ${humanDurationZh(i.period)}` : ''}` : ''
      return `item ${i.id}: ${i.name} ${i.price} points${stock}${limit}, delivery ${i.delivery}${codes}`
    })
  },

  onStart(ctx) {
    resumeCodes(ctx)
  },

  takes: (c, text) => memberRequest(c, text) !== undefined,

  onMessage(ctx) {
    const req = memberRequest(ctx.config, ctx.message.text)
    switch (req?.kind) {
      case undefined:
        return false
      case 'list':
        return showCatalog(ctx)
      case 'orders':
        // a member's list: their repeats while it waits are one reply
        void ctx.say(myOrdersText(ctx, shopParts(ctx).book.ofMember(ctx.talker.id)), { kind: 'info', mergeable: false, coalesce: { key: `shop:orders:${ctx.talker.id}` } })
        return true
      case 'redeem':
        return redeemItem(ctx, req.item.id)
      case 'unknown':
        void ctx.say(ctx.render(ctx.config.unknownReply, { name: ctx.talker.name, query: req.query }), { kind: 'info', coalesce: { key: `shop:unknown:${ctx.talker.id}:${req.query}` } })
        return true
    }
  },

  commands: { order: orderCommand },
  /** 订单 Orders in the console: the orders, done and cancel (console/). */
  console: ordersSection,

  // the member's data rights (CONTRACT §11): see memberData.ts
  forgetMember: forgetShopMember,
  exportMember: exportShopMember,
  memberTimeline: shopMoments,
})

type MemberRequest = { kind: 'list' } | { kind: 'orders' } | { kind: 'redeem'; item: ItemConfig } | { kind: 'unknown'; query: string }

/**
 * What a member's text asks of the shop, from the config alone (onMessage answers it; `takes`
 * tells guard it is a request, not a repeat): the list, their orders, an item, an item we do
 * not have — or nothing, for conversation.
 */
function memberRequest(c: ShopConfig, text: string): MemberRequest | undefined {
  if (c.listTriggers.includes(text)) return { kind: 'list' }
  if (c.ordersTriggers.includes(text)) return { kind: 'orders' }
  for (const trigger of c.redeemTriggers) {
    if (!text.startsWith(trigger)) continue
    const rest = text.slice(trigger.length)
    const query = rest.trim()
    if (query === '') return { kind: 'list' }
    const item = findItem(c.items, query)
    if (item) return { kind: 'redeem', item }
    // "兑换 xyz" is a request for something we do not have; "兑换券怎么用" is a question for others
    if (/^\s/.test(rest)) return { kind: 'unknown', query }
  }
  return undefined
}

/**
 * The catalog is a list: one per room while it waits, @-ing everyone who asked — unless its
 * title shows the asker's name or points (the default does), then one per member.
 */
function showCatalog(ctx: Ctx): true {
  const personal = uses(ctx.config.listTitle, 'name') || uses(ctx.config.listTitle, 'total')
  const key = personal ? `shop:catalog:${ctx.talker.id}` : 'shop:catalog'
  void ctx.say(catalogText(ctx, shopParts(ctx)), { kind: 'info', mergeable: false, coalesce: { key, asker: ctx.talker } })
  return true
}

function redeemItem(ctx: Ctx, itemId: string): true {
  const parts = shopParts(ctx)
  const item = ctx.config.items.find((i) => i.id === itemId)!
  const now = ctx.clock.now()
  // check and write with no await in between: one group commit, never a half-made order
  const r = redeem(
    { item, member: ctx.talker, message: ctx.message.id, group: ctx.group.name, room: ctx.room.id, now, day: ctx.time.dayKey(now) },
    { book: parts.book, catalog: parts.catalog, codes: parts.codes, points: parts.points, pointsIn: (pool) => ctx.points(pool), tags: ctx.tags },
  )
  if (r.kind === 'ok') {
    const o = r.order
    ctx.log.info({ audit: true, order: o.id, pool: o.pool, member: o.member, item: o.item, price: o.price, total: r.total, delivery: o.delivery }, 'order placed')
    deliver(ctx, o, ctx.room.topic)
  } else if (r.kind === 'duplicate') {
    ctx.log.debug({ order: r.order.id, message: ctx.message.id }, 'the same message again: the order it made stands')
  } else {
    ctx.log.debug({ item: item.id, member: ctx.talker.id, outcome: r.kind }, 'redemption refused')
  }
  // an order (new, or the same message again) is owed its confirmation; a refusal stored nothing
  void ctx.say(
    replyFor(ctx, item.name, r),
    r.kind === 'ok' || r.kind === 'duplicate' ? { kind: 'owed' } : { kind: 'info', coalesce: { key: `shop:refused:${ctx.talker.id}:${item.id}` } },
  )
  return true
}

function replyFor(ctx: Ctx, itemName: string, r: RedeemOutcome) {
  const c = ctx.config
  const name = ctx.talker.name
  switch (r.kind) {
    case 'ok':
      return ctx.render(c.redeemReply, { name, item: itemName, price: r.order.price, total: r.total, order: r.order.id })
    case 'duplicate': {
      // the same confirmation again (the first may have been lost with a crash)
      const total = ctx.points(r.order.pool).get(r.order.member)?.total ?? 0
      return ctx.render(c.redeemReply, { name, item: r.order.itemName, price: r.order.price, total, order: r.order.id })
    }
    case 'soldOut':
      return ctx.render(c.soldOutReply, { name, item: itemName })
    case 'notEnough':
      return ctx.render(c.notEnoughReply, { name, item: itemName, price: r.total + r.missing, total: r.total, missing: r.missing })
    case 'limit': {
      const vars = { name, item: itemName, limit: r.limit, period: periodText(r.period), next: r.next === undefined ? '' : ctx.time.format(r.next) }
      return ctx.render(r.next === undefined ? c.limitReply : c.limitAgainReply, vars)
    }
    case 'denied':
      return ctx.render(c.deniedReply, {
        name,
        item: itemName,
        missing: missingText(r.why),
        need: r.why.points?.need,
        points: r.why.points?.have,
        tags: r.why.tags.join('、'),
      })
  }
}
