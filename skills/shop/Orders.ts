import { Namespace, type Store, type Table } from '../../src/store/Store.js'
import type { PointsBook } from '../../src/members/PointsBook.js'
import type { TagBook } from '../../src/members/TagBook.js'

export type OrderStatus = 'pending' | 'done' | 'cancelled'

/** One redemption. Kept forever (a member's history, the audit trail). */
export interface Order {
  /** What admins type: `#order done 12`. A number per pool, from 1. */
  id: string
  pool: string
  item: string
  itemName: string
  price: number
  member: string
  memberName: string
  group: string
  room: string
  /** The chat message that asked for it: the same message twice is one order. */
  message: string
  at: number
  status: OrderStatus
  delivery: 'admin' | 'codes'
  /** delivery codes: the code given (never shown in logs or to anyone but the member). */
  code?: string
  /** delivery codes: when the puppet accepted the private message with the code. */
  deliveredAt?: number
  /**
   * delivery codes: when the message with the code was handed to the puppet (set just before,
   * cleared when the queue gave it up): from then on the member may have the code, so the
   * order can no longer be cancelled.
   */
  sendingAt?: number
  /** A tag this order gave the member (taken back on cancel when nothing else gave it). */
  tag?: string
  /** pending → done | cancelled: when and by whom (an admin's contact id, `console`, `api`, `auto`). */
  closedAt?: number
  closedBy?: string
  note?: string
}

/** Stock state of an item in a pool: how many are taken by orders not cancelled. */
export interface ItemState {
  taken: number
}

/** A member's orders in a pool, oldest first (their ids). */
interface MemberOrders {
  ids: string[]
}

/**
 * The shop's state in one pool, under `shop/pool:<pool>/`: orders (a table), the open ones (an
 * index), each item's taken count, each member's order ids, and the message ids that made
 * orders. Synchronous like every store access: callers check and write in the same turn, so
 * all of one redemption is one group commit.
 */
export class OrderBook {
  readonly orders: Table<Order>
  private readonly byMember: Table<MemberOrders>
  private readonly byMessage: Table<string>

  constructor(
    private readonly ns: Namespace,
    readonly pool: string,
  ) {
    this.orders = ns.table<Order>('orders')
    this.byMember = ns.table<MemberOrders>('members')
    this.byMessage = ns.table<string>('messages')
  }

  get(id: string): Order | undefined {
    return this.orders.get(id)
  }

  /** The order this member's chat message made, if any. */
  forMessage(memberId: string, messageId: string): Order | undefined {
    const id = this.byMessage.get(messageKey(memberId, messageId))
    return id === undefined ? undefined : this.orders.get(id)
  }

  /** A member's orders, newest first. */
  ofMember(memberId: string): Order[] {
    const ids = this.byMember.get(memberId)?.ids ?? []
    return ids.map((id) => this.orders.get(id)).filter((o): o is Order => o !== undefined).reverse()
  }

  /** Pending orders, oldest first. */
  open(): Order[] {
    return this.ns
      .keys('open/', false)
      .map((k) => this.orders.get(k.slice('open/'.length)))
      .filter((o): o is Order => o !== undefined)
      .sort((a, b) => Number(a.id) - Number(b.id))
  }

  /** How many are pending (the open index's size: no order is read). */
  pendingCount(): number {
    return this.ns.keys('open/', false).length
  }

  /** Every order (a scan: for audits, the console, tests). */
  all(): Order[] {
    return this.orders.rows().map(([, o]) => o).sort((a, b) => Number(a.id) - Number(b.id))
  }

  taken(itemId: string): number {
    return this.ns.get<ItemState>(`items/${itemSegment(itemId)}`)?.taken ?? 0
  }

  /** The next order id (the counter moves when the order is written, in the same turn). */
  nextId(): string {
    return String((this.ns.get<number>('meta/orderSeq') ?? 0) + 1)
  }

  /** Write a new order and its indexes; the caller has debited the points in this same turn. */
  create(order: Order): void {
    if (this.orders.get(order.id)) throw new Error(`order ${order.id} exists already`)
    this.ns.set('meta/orderSeq', Number(order.id))
    this.orders.set(order.id, order)
    if (order.status === 'pending') this.ns.set(`open/${order.id}`, true)
    this.byMember.set(order.member, { ids: [...(this.byMember.get(order.member)?.ids ?? []), order.id] })
    this.byMessage.set(messageKey(order.member, order.message), order.id)
    this.addTaken(order.item, 1)
  }

  /** Replace an order's row (status changes keep the open index in step). */
  put(order: Order): void {
    this.orders.set(order.id, order)
    if (order.status === 'pending') this.ns.set(`open/${order.id}`, true)
    else this.ns.delete(`open/${order.id}`)
  }

  /**
   * A forgotten member (CONTRACT §11): their orders stay (stock, numbering, the pool's points
   * depend on them) under `anonymousId`, without the personal fields (name, the chat message);
   * the member's indexes move with them. Returns how many orders. Idempotent.
   */
  anonymize(contactId: string, anonymousId: string): number {
    const mine = this.ofMember(contactId)
    for (const o of mine) {
      this.byMessage.delete(messageKey(contactId, o.message))
      this.orders.set(o.id, { ...o, member: anonymousId, memberName: '', message: '' })
    }
    const ids = this.byMember.get(contactId)
    if (ids) {
      this.byMember.delete(contactId)
      this.byMember.set(anonymousId, { ids: [...(this.byMember.get(anonymousId)?.ids ?? []), ...ids.ids] })
    }
    return mine.length
  }

  addTaken(itemId: string, n: number): void {
    const key = `items/${itemSegment(itemId)}`
    this.ns.set<ItemState>(key, { taken: Math.max(0, (this.ns.get<ItemState>(key)?.taken ?? 0) + n) })
  }
}

/** A message is known by its id and its sender (an id reused by another talker is another message). */
function messageKey(memberId: string, messageId: string): string {
  return `${memberId} ${messageId}`
}

/** Item ids are one word but may hold `/` or `%`: a key-safe form. */
function itemSegment(id: string): string {
  return encodeURIComponent(id)
}

/** The shop's state of a pool: `shop/pool:<pool>/` (where ctx.pool(name) of the shop points). */
export function orderBook(store: Store, pool: string): OrderBook {
  return new OrderBook(new Namespace(store, 'shop/').child(`pool:${pool}`), pool)
}

// ---- what admins (chat), the console and the API do with orders: plain results ---------

export type CloseResult =
  | { ok: true; order: Order; refunded?: number; total?: number }
  /** `sent`: a code order whose code is out (or on its way): it cannot be cancelled. */
  | { ok: false; reason: 'unknown' | 'closed' | 'sent'; order?: Order }

/** Mark a pending order fulfilled. */
export function markDone(book: OrderBook, id: string, by: string, now: number): CloseResult {
  const order = book.get(id.trim())
  if (!order) return { ok: false, reason: 'unknown' }
  if (order.status !== 'pending') return { ok: false, reason: 'closed', order }
  const done: Order = { ...order, status: 'done', closedAt: now, closedBy: by }
  book.put(done)
  return { ok: true, order: done }
}

export interface CancelDeps {
  points: PointsBook
  tags: TagBook
  /** The calendar day of `now` in bot.timezone (the ledger's day). */
  day: string
  /** Withdraw the shop's queued texts carrying `tag` that `group` queued (ctx.withdraw). */
  withdraw: (tag: string, group: string) => number
}

/** The send-queue tag of a code order's private message (withdrawn when the order is cancelled). */
export function codeTag(order: Pick<Order, 'id' | 'pool'>): string {
  return `code:${order.pool}:${order.id}`
}

/**
 * Cancel a pending order: a reversing ledger entry (reason `refund`) gives the points back,
 * the item's stock comes back, a tag the order gave is taken back when no other live order of
 * the member gave it. A code order is cancelled only while its code has not gone out: the
 * message still waiting in the send queue is withdrawn (the member never sees the code); once
 * it was handed to the puppet (`sendingAt`) or delivered, the cancel is refused (`sent`) — a
 * code cannot be taken back. The code is never reused either way. Everything in this one
 * synchronous call, so it is one group commit and no send can slip in between.
 */
export function cancelOrder(book: OrderBook, id: string, by: string, now: number, deps: CancelDeps, note?: string): CloseResult {
  const order = book.get(id.trim())
  if (!order) return { ok: false, reason: 'unknown' }
  if (order.status !== 'pending') return { ok: false, reason: 'closed', order }
  if (order.delivery === 'codes' && order.code !== undefined) {
    if (order.deliveredAt !== undefined || order.sendingAt !== undefined) return { ok: false, reason: 'sent', order }
    deps.withdraw(codeTag(order), order.group)
  }
  const refund = deps.points.change(order.member, order.price, 'refund', {
    now,
    day: deps.day,
    group: order.group,
    room: order.room,
    note: `order ${order.id} cancelled by ${by}`,
  })
  if (!refund.ok) throw new Error('a refund cannot fail') // a positive change never goes below zero
  const cancelled: Order = { ...order, status: 'cancelled', closedAt: now, closedBy: by, ...(note ? { note } : {}) }
  book.put(cancelled)
  book.addTaken(order.item, -1)
  if (order.tag && deps.tags.of(order.member)[order.tag]?.source === 'redeem') {
    const stillGiven = book.ofMember(order.member).some((o) => o.id !== order.id && o.tag === order.tag && o.status !== 'cancelled')
    if (!stillGiven) deps.tags.remove(order.member, order.tag)
  }
  return { ok: true, order: cancelled, refunded: order.price, total: refund.row.total }
}
