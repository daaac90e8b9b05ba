import { z } from 'zod'

/** The orders API's shapes (CONTRACT §8: `GET /api/orders`, `POST /api/orders/<id>/done|cancel`). */

export const OrderStatus = z.enum(['pending', 'done', 'cancelled'], { error: 'status is pending, done or cancelled' })

export const OrdersQuery = z.object({
  status: OrderStatus.optional().describe('only orders in this state (default: all)'),
  pool: z.string().min(1).max(64).optional().describe('only this point pool (default: every pool a shop spends)'),
  limit: z.coerce.number({ error: 'limit is a number (1-1000)' }).int('limit is a whole number').min(1, 'limit is 1 to 1000').max(1000, 'limit is 1 to 1000').default(200),
})

/** `12` (what admins type in `#order done 12`; needs to be unambiguous), `#12`, or `12@<pool>` (as lives: `a3@fans`). */
export const OrderIdParams = z.object({
  id: z
    .string()
    .regex(/^#?\d{1,9}(?:@[^\s/]{1,64})?$/, 'an order id is its number (12) or <number>@<pool> (12@fans)')
    .describe('the order number as admins type it (12), or <number>@<pool> when several pools have that number'),
})

export const CancelBody = z
  .strictObject({
    note: z.string({ error: 'note is a short reason' }).trim().min(1, 'note cannot be empty').max(200, 'note is at most 200 characters').optional().describe('why (kept with the order, told to the member)'),
    notify: z.boolean({ error: 'notify is true or false' }).default(true).describe('tell the member privately (default true)'),
  })
  .describe('optional: no body is {}')

export const DoneBody = z.strictObject({ notify: z.boolean({ error: 'notify is true or false' }).default(true).describe('tell the member privately (default true)') }).describe('optional: no body is {}')

export const OrderShape = z.object({
  id: z.string().describe('the number admins type: #order done <id>'),
  ref: z.string().describe('<id>@<pool>: always unambiguous in POST /api/orders/<ref>/done|cancel'),
  pool: z.string(),
  item: z.string().describe('the item id'),
  itemName: z.string(),
  memberId: z.string(),
  memberName: z.string(),
  group: z.string().describe('the group it was redeemed in'),
  roomId: z.string(),
  status: OrderStatus,
  at: z.string().describe('ISO 8601, bot.timezone'),
  price: z.number(),
  delivery: z.enum(['admin', 'codes']),
  delivered: z.boolean().describe('codes: the private message with the code was accepted (the code itself is never shown)'),
  closedAt: z.string().optional(),
  closedBy: z.string().optional().describe("an admin's contact id, console, api or auto"),
  note: z.string().optional(),
})

export const OrderChanged = OrderShape.extend({
  refunded: z.number().optional().describe('cancel: the points given back'),
  total: z.number().optional().describe("cancel: the member's points in the pool after the refund"),
  left: z.number().int().nullable().optional().describe('cancel: how many of the item are left now (null: unlimited)'),
  notified: z.boolean().describe('the member is told privately (queued after the change is on disk)'),
})
