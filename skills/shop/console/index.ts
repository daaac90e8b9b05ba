import { fileURLToPath } from 'node:url'
import type { FastifyRequest } from 'fastify'
import { Gauge } from 'prom-client'
import { ErrorBody, type ConsoleSection } from '../../../src/console/extensions.js'
import { orderBook } from '../Orders.js'
import { OrderDesk } from './OrderDesk.js'
import { CancelBody, DoneBody, OrderChanged, OrderIdParams, OrderShape, OrdersQuery } from './schemas.js'

/**
 * 订单 / Orders — the shop's orders in the console and the API (CONTRACT §8):
 * `GET /api/orders`, `POST /api/orders/<id>/done`, `POST /api/orders/<id>/cancel`.
 * The shop declares it (`console: ordersSection` in ../index.ts). Four files: this one
 * (routes, metrics, page), a desk (what it does, through the shop's own functions), its
 * schemas, and the page (`page.js`, served at /ext/orders.js).
 */
/** A POST without a body (curl -X POST …/done) means the defaults; fastify hands the schema null. */
function noBodyIsEmpty(req: FastifyRequest, _reply: unknown, done: () => void): void {
  req.body ??= {}
  done()
}

export const ordersSection: ConsoleSection = {
  id: 'orders',
  title: '订单 Orders',
  routes(api) {
    const { app, deps } = api
    const desk = new OrderDesk(deps)
    app.get(
      '/api/orders',
      {
        schema: {
          summary: "the shop's orders, oldest first (every pool a shop spends, or ?pool=; ?status=pending|done|cancelled)",
          querystring: OrdersQuery,
          response: { 200: OrderShape.array(), 400: ErrorBody },
        },
      },
      (req) => desk.list(req.query),
    )
    app.post(
      '/api/orders/:id/done',
      {
        schema: {
          summary: 'mark a pending order fulfilled (as #order done <id>); the member is told privately unless notify is false',
          params: OrderIdParams,
          body: DoneBody,
          response: { 200: OrderChanged, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
        },
        preValidation: noBodyIsEmpty,
      },
      async (req) => {
        const o = desk.done(req.params.id, api.via(req), req.body.notify)
        api.audit(req, 'order.done', { order: o.id, pool: o.pool, member: o.memberId, item: o.item, price: o.price })
        await deps.store.durable()
        return o
      },
    )
    app.post(
      '/api/orders/:id/cancel',
      {
        schema: {
          summary: 'cancel a pending order (as #order cancel <id>): points refunded, stock restored, a tag it gave taken back; the member is told privately unless notify is false',
          params: OrderIdParams,
          body: CancelBody,
          response: { 200: OrderChanged, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody },
        },
        preValidation: noBodyIsEmpty,
      },
      async (req) => {
        const o = desk.cancel(req.params.id, api.via(req), req.body)
        api.audit(req, 'order.cancel', { order: o.id, pool: o.pool, member: o.memberId, item: o.item, price: o.price, refunded: o.refunded, total: o.total, ...(o.note ? { note: o.note } : {}) })
        await deps.store.durable()
        return o
      },
    )
  },
  metrics(registry, deps) {
    const desk = new OrderDesk(deps)
    // both read from what the shop keeps anyway (the order counter, the open index): no scan
    new Gauge({
      name: 'siyu_shop_redemptions',
      help: 'Orders ever placed in a pool (redemptions; the per-pool order counter)',
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        for (const { pool } of desk.shopPools()) this.set({ pool }, Number(orderBook(deps.store, pool).nextId()) - 1)
      },
    })
    new Gauge({
      name: 'siyu_shop_orders_pending',
      help: 'Orders waiting to be shipped (or their code sent), per pool',
      labelNames: ['pool'],
      registers: [registry],
      collect() {
        for (const { pool } of desk.shopPools()) this.set({ pool }, orderBook(deps.store, pool).pendingCount())
      },
    })
  },
  page: fileURLToPath(new URL('./page.js', import.meta.url)),
}
