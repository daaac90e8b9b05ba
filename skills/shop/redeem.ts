import type { PointsBook } from '../../src/members/PointsBook.js'
import { checkRequirement, type RequirementResult } from '../../src/members/requirement.js'
import type { TagBook } from '../../src/members/TagBook.js'
import type { Catalog } from './Catalog.js'
import type { CodeLedger } from './Codes.js'
import type { ItemConfig } from './config.js'
import type { Order, OrderBook } from './Orders.js'

export interface RedeemInput {
  item: ItemConfig
  member: { id: string; name: string }
  /** The chat message's id (the same message twice is one order). */
  message: string
  group: string
  room: string
  now: number
  /** The calendar day of `now` in bot.timezone (the ledger's day). */
  day: string
}

export interface RedeemDeps {
  book: OrderBook
  catalog: Catalog
  codes: CodeLedger
  /** The pool the shop spends. */
  points: PointsBook
  /** Points in any pool (for `require.points` naming another pool). */
  pointsIn: (pool: string) => PointsBook
  tags: TagBook
}

export type RedeemOutcome =
  | { kind: 'ok'; order: Order; total: number }
  | { kind: 'duplicate'; order: Order }
  | { kind: 'denied'; why: RequirementResult }
  | { kind: 'limit'; limit: number; period?: number; next?: number }
  | { kind: 'soldOut' }
  | { kind: 'notEnough'; total: number; missing: number }

/**
 * One redemption, all or nothing, in one synchronous call: the checks (allowed, limit, stock,
 * points) and then every write — the debit (ledger reason `redeem`), the order and its
 * indexes, the stock, the code, the tag. Nothing awaits in between, so no other message can
 * see a half-made redemption, and the store commits it all as one batch; the reply waits for
 * that batch to be on disk.
 */
export function redeem(i: RedeemInput, d: RedeemDeps): RedeemOutcome {
  const again = d.book.forMessage(i.member.id, i.message)
  if (again) return { kind: 'duplicate', order: again }
  const { item, member } = i

  const why = checkRequirement(
    item.require,
    { points: (pool) => d.pointsIn(pool).get(member.id)?.total ?? 0, tags: new Set(d.tags.names(member.id)) },
    d.book.pool,
  )
  if (!why.ok) return { kind: 'denied', why }

  if (item.perMember !== undefined) {
    const from = item.period === undefined ? -Infinity : i.now - item.period
    const counted = d.book
      .ofMember(member.id)
      .filter((o) => o.item === item.id && o.status !== 'cancelled' && o.at > from)
      .map((o) => o.at)
      .sort((a, b) => a - b)
    if (counted.length >= item.perMember) {
      // a rolling window: the next one is possible once enough of these have left it
      const next = item.period === undefined ? undefined : counted[counted.length - item.perMember]! + item.period
      return { kind: 'limit', limit: item.perMember, period: item.period, next }
    }
  }

  if (!d.catalog.available(item)) return { kind: 'soldOut' }
  const code = item.delivery === 'codes' && item.codes ? d.codes.nextFree(item.codes) : undefined

  const id = d.book.nextId()
  const debit = d.points.change(member.id, -item.price, 'redeem', {
    now: i.now,
    day: i.day,
    group: i.group,
    room: i.room,
    note: `order ${id}: ${item.id}`,
    name: member.name,
  })
  if (!debit.ok) return { kind: 'notEnough', total: debit.total, missing: debit.short }

  let tag: string | undefined
  if (item.tag) {
    d.tags.add(member.id, item.tag, { source: 'redeem', at: i.now })
    if (d.tags.of(member.id)[item.tag]?.source === 'redeem') tag = item.tag
  }
  const order: Order = {
    id,
    pool: d.book.pool,
    item: item.id,
    itemName: item.name,
    price: item.price,
    member: member.id,
    memberName: member.name,
    group: i.group,
    room: i.room,
    message: i.message,
    at: i.now,
    status: 'pending',
    delivery: item.delivery,
    ...(code !== undefined ? { code } : {}),
    ...(tag ? { tag } : {}),
  }
  d.book.create(order)
  if (code !== undefined) d.codes.take(code, { pool: d.book.pool, order: id, item: item.id, member: member.id, at: i.now })
  return { kind: 'ok', order, total: debit.row.total }
}
