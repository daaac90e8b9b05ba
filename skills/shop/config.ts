import { z } from 'zod'
import { duration, nonNegativeInt, positiveInt, stringList } from '../../src/config/common.js'
import { Requirement } from '../../src/members/requirement.js'
import { TextFileError } from '../../src/text/decodeText.js'
import { template } from '../../src/text/template.js'
import { reply } from '../../src/config/reply.js'
import { readCodesFile, type CodeList } from './Codes.js'

/*
 * shop 的配置 / the shop's config (CONTRACT §7):
 *
 *   shop:
 *     pool: sisley                  # 默认：本分组的签到积分池 / default: the group's checkin pool
 *     items:
 *       - id: sample                # 会员发「兑换 sample」/ members type "兑换 sample"
 *         name: 黑玫瑰精华小样        # 或「兑换 黑玫瑰精华小样」/ or the name
 *         price: 100
 *         stock: 50                 # 不写 = 不限量 / omit for unlimited
 *         perMember: 1              # 每人每 period 最多兑几次 / at most this many per member per period
 *         period: 30d               # 不写 = 永久 / omit: ever
 *         require: { tags: [活跃粉] }
 *         delivery: admin           # 私信通知管理员发货 / the admins are told privately
 *         tag: 已兑小样              # 可选：兑换后打上这个标签（来源 redeem）/ optional: tag given on redemption
 *       - id: coupon
 *         name: 直播间 20 元券
 *         price: 50
 *         delivery: codes           # 每单一个券码，私信发给会员 / one code per order, sent privately
 *         codes: config/codes/coupon.txt   # 相对于工作目录 / relative to the working directory
 */

/** A codes file path, read while the config is validated: missing or unreadable is an error here. */
const codesFile = () =>
  z
    .string({ error: 'codes is the path of a file with one code a line' })
    .min(1, 'codes is the path of a file with one code a line')
    .transform((file, ctx): CodeList => {
      try {
        return readCodesFile(file)
      } catch (err) {
        // a file that is not text says where: `codes file config/codes/coupon.txt:3: a NUL character…`
        if (err instanceof TextFileError) {
          ctx.addIssue({ code: 'custom', message: `codes file ${err.message}` })
          return z.NEVER
        }
        const why = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : (err as Error).message
        ctx.addIssue({ code: 'custom', message: `codes file ${file}: ${why} (paths are relative to the working directory, ${process.cwd()})` })
        return z.NEVER
      }
    })
    .describe('file with one code a line (relative to the working directory); each code is given once, ever')

export const ItemConfig = z
  .strictObject({
    id: z
      .string({ error: 'every item needs an id (one word, what members type after 兑换)' })
      .regex(/^[^\s]{1,32}$/u, 'an item id is one word of at most 32 characters, no spaces')
      .describe('one word, unique in the shop: "兑换 <id>"'),
    name: z.string({ error: 'every item needs a name' }).min(1).max(40, 'an item name is at most 40 characters'),
    price: nonNegativeInt('price').describe('points it costs (0: free, still one per order)'),
    stock: nonNegativeInt('stock').optional().describe('how many there are in all (omit: unlimited); cancelled orders give theirs back'),
    perMember: positiveInt('perMember').optional().describe('at most this many per member per period (omit: no limit)'),
    period: duration().optional().describe('the window of perMember, e.g. 30d (omit: ever)'),
    require: Requirement.optional(),
    delivery: z.enum(['admin', 'codes'], { error: 'delivery is admin (the admins ship it) or codes (a code from a file)' }).default('admin'),
    codes: codesFile().optional(),
    tag: z.string().min(1).max(20).optional().describe('a tag the member gets on redemption (source redeem)'),
  })
  .superRefine((item, ctx) => {
    if (item.delivery === 'codes' && !item.codes) {
      ctx.addIssue({ code: 'custom', path: ['delivery'], message: 'delivery: codes needs codes: <file with one code a line>' })
    }
    if (item.delivery === 'admin' && item.codes) {
      ctx.addIssue({ code: 'custom', path: ['codes'], message: 'codes are only used with delivery: codes' })
    }
    if (item.period !== undefined && item.perMember === undefined) {
      ctx.addIssue({ code: 'custom', path: ['period'], message: 'period is the window of perMember; set perMember too' })
    }
  })

export type ItemConfig = z.output<typeof ItemConfig>

/** Variables of the limit replies: `{period}` like "30天" ('' when ever), `{next}` when the next one is possible. */
const LIMIT_VARS = ['name', 'item', 'limit', 'period', 'next']

export const ShopConfig = z.strictObject({
  pool: z.string().min(1, 'pool cannot be empty').optional().describe("the point pool it spends (default: the group's checkin pool)"),
  items: z.array(ItemConfig, { error: 'items is a list of items' }).default([]),
  listTriggers: stringList().prefault(['积分商城']),
  redeemTriggers: stringList().prefault(['兑换']).describe('"兑换 sample" or "兑换 黑玫瑰精华小样"'),
  ordersTriggers: stringList().prefault(['我的兑换']),
  listTitle: reply(['name', 'total']).prefault('积分商城（{name} 现有 {total} 分）'),
  listLine: template(['id', 'item', 'price', 'left']).prefault('{id} · {item} · {price} 分 · 剩 {left}'),
  listFooter: reply(['example']).prefault('发「兑换 {example}」即可兑换'),
  listEmpty: reply([]).prefault('积分商城还没有上架，敬请期待～'),
  redeemReply: reply(['name', 'item', 'price', 'total', 'order']).prefault('{name} 兑换成功：{item}，扣 {price} 分，剩 {total} 分（订单 {order}）'),
  soldOutReply: reply(['name', 'item']).prefault('{item} 已经兑完啦'),
  notEnoughReply: reply(['name', 'item', 'price', 'total', 'missing']).prefault('{name} 兑换{item}需要 {price} 分，你现在有 {total} 分，还差 {missing} 分'),
  limitReply: reply(LIMIT_VARS).prefault('{name}，{item}每人限兑 {limit} 次'),
  limitAgainReply: reply(LIMIT_VARS)
    .prefault('{name}，{item}每人每{period}限兑 {limit} 次，{next} 后可再兑换')
    .describe('the limit reply for items with a period (it can say when the next one is possible)'),
  deniedReply: reply(['name', 'item', 'missing', 'need', 'points', 'tags'])
    .prefault('{name} 暂时不能兑换{item}：{missing}')
    .describe('{missing}: what is missing in words; {need}/{points}: points needed/held; {tags}: tags missing'),
  unknownReply: reply(['name', 'query']).prefault('{name}，没有找到「{query}」，发「积分商城」看看能兑换什么～'),
  ordersTitle: template(['name', 'count']).prefault('{name} 的兑换记录（最近 {count} 条）'),
  ordersLine: template(['order', 'item', 'price', 'status', 'date']).prefault('{order} · {item} · {price} 分 · {status} · {date}'),
  ordersEmpty: reply(['name']).prefault('{name} 还没有兑换记录，发「积分商城」看看吧～'),
  codeText: template(['name', 'item', 'code', 'order'])
    .prefault('【兑换券码】{item}：{code}\n订单 {order}，请妥善保存，勿转发他人')
    .describe('the private message with the code'),
  adminNotice: template(['order', 'name', 'id', 'item', 'price', 'group', 'topic'])
    .prefault('【兑换待发货】订单 {order}：{name}（{id}）在{group}「{topic}」兑换了 {item}（{price} 分）')
    .describe('the private message to each admin for delivery: admin (a line on how to mark it done follows)'),
})

export type ShopConfig = z.output<typeof ShopConfig>
