import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parseDocument } from 'yaml'

/**
 * A rush with every skill of the example config on (issue 27), shared by the rush fault test
 * (over gRPC) and the rush bench (in process, on a fake clock): the example's own YAML, and a
 * realistic mix of what members send while a live starts — check-ins, questions, the catalog
 * (积分商城), redemptions (兑换 …), 我的兑换, 我的标签, subscriptions (预约), the live list,
 * points and the leaderboard, chatter, and a link card now and then (guard strikes it).
 *
 * The rooms are the example's `sisley-fans` group (welcome, checkin, tags, points, guard,
 * autoreply, live, shop); gate is on in the example's VIP and join groups.
 */

/**
 * The example config, made runnable here: the coupon's codes from `codesFile`, no console,
 * the admin given, and (for a bot on the real clock) the fan group's live at `liveStart`.
 */
export function exampleRushConfig(o: { codesFile: string; admin: string; liveStart?: string; roomPerMinute?: number; totalPerMinute?: number }): string {
  const doc = parseDocument(readFileSync(join(import.meta.dirname, '../../config/bot.example.yaml'), 'utf8'))
  doc.setIn(['bot', 'admins'], [o.admin])
  if (o.roomPerMinute !== undefined) doc.setIn(['bot', 'rateLimit', 'roomPerMinute'], o.roomPerMinute)
  if (o.totalPerMinute !== undefined) doc.setIn(['bot', 'rateLimit', 'totalPerMinute'], o.totalPerMinute)
  // the console is not what is measured (and a fixed port would collide between test files)
  doc.setIn(['console', 'port'], 0)
  const items = doc.getIn(['groups', 0, 'skills', 'shop', 'items']) as { items: Array<{ get(k: string): unknown; set(k: string, v: unknown): void }> }
  const coupon = items.items.find((i) => i.get('delivery') === 'codes')
  if (!coupon) throw new Error('the example config has no shop item with delivery: codes')
  coupon.set('codes', o.codesFile)
  if (o.liveStart) doc.setIn(['groups', 0, 'skills', 'live', 'lives', 0, 'start'], o.liveStart)
  // the example's media files are read beside its config: point at them where this config goes
  const media = join(import.meta.dirname, '../../config/media')
  return doc.toString().replace(/(:\s*)media\//g, `$1${media}/`)
}

/** Codes for the coupon: enough that it does not sell out in a rush. */
export function couponCodes(n: number): string {
  return Array.from({ length: n }, (_, i) => `SISLEY-${String(i).padStart(6, '0')}`).join('\n') + '\n'
}

/** Topics that match the example's sisley-fans group (`希思黎粉丝*`). */
export const rushTopic = (r: number): string => `希思黎粉丝${r + 1}群`
export const rushMemberId = (r: number, i: number): string => `wxid_r${r}m${i}`
export const rushMemberName = (r: number, i: number): string => `r${r}会员${i}`

/** Points every member has before the rush (a brand's history): enough to redeem. */
export const SEED_POINTS = 300

export type RushWhat =
  | 'checkin'
  | 'checkinAgain'
  | 'redeem'
  | 'catalog'
  | 'orders'
  | 'tags'
  | 'subscribe'
  | 'liveList'
  | 'myPoints'
  | 'rank'
  | 'question'
  | 'handoff'
  | 'chatter'
  | 'link'

export interface RushStep {
  /** Milliseconds after the start of the rush. */
  at: number
  room: number
  member: number
  what: RushWhat
  /** The text (empty for a link card). */
  text: string
}

/**
 * How often each kind of message comes, of the messages that are not a member's first 签到
 * (redemptions apart: see `redeemPercent`).
 */
const WEIGHTS: ReadonlyArray<[RushWhat, number]> = [
  ['chatter', 26],
  ['question', 9],
  ['handoff', 1],
  ['liveList', 8],
  ['subscribe', 6],
  ['myPoints', 7],
  ['rank', 4],
  ['catalog', 9],
  ['orders', 6],
  ['tags', 6],
  ['checkinAgain', 3],
  ['link', 1],
]

const QUESTIONS = ['什么时候发货呀', '快递一般几天到', '物流到哪了', '有优惠券吗', '优惠码在哪领', '群规']
const CHATTER = ['大家好', '哈哈哈', '今晚几点开播', '主播好美', '已下单', '这个色号好看', '蹲一个链接', '来了来了']
/** What members try to redeem: the coupon (codes), the sample by id or name (admin delivery, stock 50, once each), the VIP gift (a tag they lack), something unknown. */
const REDEEM = ['兑换 coupon', '兑换 coupon', '兑换 coupon', '兑换 sample', '兑换 黑玫瑰精华小样', '兑换 vip-gift', '兑换 口红']

/** A small seeded PRNG (mulberry32): the same mix every run. */
function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * `perSecond` messages a second into `rooms` rooms of `members`, for `seconds`: the rooms take
 * turns, each room's members speak in turn (every member about as often), and every member
 * checks in exactly once at a random one of their turns. Texts that are not triggers carry a
 * number, so guard's "same text 3 times" never fires on chatter (a link card is the strike).
 */
export function rushTraffic(o: {
  rooms: number
  members: number
  perSecond: number
  seconds: number
  /**
   * Percent of the messages that ask to redeem (default 5). Orders come at a member's pace, not
   * the chat's: a rush of chat does not make members redeem faster, and each coupon order is a
   * private message of its own out of the bot's `totalPerMinute`.
   */
  redeemPercent?: number
  seed?: number
}): RushStep[] {
  const rnd = random(o.seed ?? 27)
  const redeem = (o.redeemPercent ?? 5) / 100
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)]!
  const totalWeight = WEIGHTS.reduce((s, [, w]) => s + w, 0)
  const total = Math.round(o.perSecond * o.seconds)
  const turns = Math.max(1, Math.floor(total / (o.rooms * o.members)))
  const checkinTurn = Array.from({ length: o.rooms * o.members }, () => Math.floor(rnd() * turns))
  const spoken = new Array<number>(o.rooms * o.members).fill(0)
  const steps: RushStep[] = []
  for (let k = 0; k < total; k++) {
    const room = k % o.rooms
    const member = Math.floor(k / o.rooms) % o.members
    const who = room * o.members + member
    const turn = spoken[who]!++
    const at = Math.floor((k * 1000) / o.perSecond)
    if (turn === checkinTurn[who]) {
      steps.push({ at, room, member, what: 'checkin', text: '签到' })
      continue
    }
    let what: RushWhat = 'chatter'
    if (rnd() < redeem) what = 'redeem'
    else {
      let x = rnd() * totalWeight
      for (const [w, weight] of WEIGHTS) {
        if ((x -= weight) < 0) {
          what = w
          break
        }
      }
    }
    // 签到 again before the first one counts as the first (it is one)
    if (what === 'checkinAgain' && turn < checkinTurn[who]!) what = 'chatter'
    steps.push({ at, room, member, what, text: textFor(what, k, pick) })
  }
  return steps
}

function textFor(what: RushWhat, k: number, pick: <T>(xs: readonly T[]) => T): string {
  switch (what) {
    case 'checkin':
    case 'checkinAgain':
      return '签到'
    case 'redeem':
      return pick(REDEEM)
    case 'catalog':
      return '积分商城'
    case 'orders':
      return '我的兑换'
    case 'tags':
      return '我的标签'
    case 'subscribe':
      return '预约'
    case 'liveList':
      return '直播预告'
    case 'myPoints':
      return '我的积分'
    case 'rank':
      return '积分榜'
    case 'question': {
      const q = pick(QUESTIONS)
      return q === '群规' ? q : `${q}～${k}`
    }
    case 'handoff':
      return `上次买的漏了一支 ${k}`
    case 'chatter':
      return `${pick(CHATTER)} ${k}`
    case 'link':
      return ''
  }
}

/** "r0会员12 签到成功 …" → the member's name, from a line of the bot's (the example's reply template). */
export const CHECKIN_LINE = /^(r\d+会员\d+) 签到成功/
/** "r0会员12 兑换成功：…（订单 17）" → name and order id (the example's redeemReply). */
export const REDEEM_LINE = /^(r\d+会员\d+) 兑换成功：.*（订单 (\d+)）/
