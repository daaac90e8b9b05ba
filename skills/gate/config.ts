import { z } from 'zod'
import { positiveInt, stringList } from '../../src/config/common.js'
import { Requirement } from '../../src/members/requirement.js'
import { reply } from '../../src/config/reply.js'

/** WeChat's own cap on a group's members. */
export const WECHAT_ROOM_MAX = 500

/** The gate skill's per-group settings (CONTRACT §5). Friend requests are `bot.friends`. */
export const GateConfig = z.strictObject({
  keywords: stringList().prefault(['进群']).describe('a private message with exactly one of these asks to join this group'),
  capacity: positiveInt('capacity')
    .max(WECHAT_ROOM_MAX, `capacity is at most ${WECHAT_ROOM_MAX} (WeChat's limit)`)
    .default(450)
    .describe('a room is full at this many members as WeChat counts them (the bot too), pending invites included'),
  order: z.enum(['fill', 'balance'], { error: 'order is fill or balance' }).default('fill').describe('fill: first room with space (群满换群); balance: the emptiest'),
  require: Requirement.optional(),
  inviteReply: reply(['name', 'topic']).prefault('{name}，已邀请你加入{topic}，请留意群邀请'),
  alreadyReply: reply(['name', 'topic']).prefault('{name}，你已经在{topic}里啦'),
  deniedReply: reply(['name', 'points', 'need', 'tags', 'missing'], '{missing} names all that is missing, without a verb (`30 积分（需要 100，现在 70）；标签「活跃粉」`).').prefault(
    '{name}，暂时还不能进群，还差：{missing}',
  ),
  fullReply: reply(['name']).prefault('群暂时满了，已通知工作人员，稍后拉你进群'),
  barredReply: reply(['name'], 'to a contact another skill of the group keeps out (removed by guard, on its blacklist); names no reason').prefault(
    '{name}，暂时不能邀请你进群',
  ),
  invitesPerHour: positiveInt('invitesPerHour').default(30).describe('most invites per hour for this group; more wait for their turn (kept)'),
})

export type GateConfig = z.output<typeof GateConfig>
