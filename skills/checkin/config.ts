import { z } from 'zod'
import { duration, positiveInt, stringList } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/** The checkin skill's config: defaults, types and messages in one place. */
const HOUR = 3_600_000

/** `checkin.activity` (CONTRACT §12): points for speaking, capped so nobody farms them. */
export const ActivityConfig = z
  .strictObject({
    points: positiveInt('activity.points').max(1000, 'activity.points is at most 1000').default(1).describe('points per message that counts'),
    minLength: positiveInt('activity.minLength')
      .max(500, 'activity.minLength is at most 500 characters')
      .default(5)
      .describe('a message counts from this many characters (mentions and spaces not counted)'),
    cooldown: duration()
      .prefault('60s')
      .pipe(z.number().min(1000, 'activity.cooldown is at least 1s').max(24 * HOUR, 'activity.cooldown is at most 24h'))
      .describe('a member counts at most once per this long, e.g. 60s or 5m'),
    dailyCap: positiveInt('activity.dailyCap').max(100_000, 'activity.dailyCap is at most 100000').default(10).describe('most activity points per member and day (in the pool)'),
  })
  .superRefine((a, ctx) => {
    if (a.dailyCap < a.points) ctx.addIssue({ code: 'custom', path: ['dailyCap'], message: `dailyCap (${a.dailyCap}) is below points (${a.points}): no message could ever count` })
  })

export type ActivityConfig = z.output<typeof ActivityConfig>

/** `checkin.invites` (CONTRACT §12): the inviter's points once the invitee stayed keepDays. */
export const InvitesConfig = z.strictObject({
  points: positiveInt('invites.points').max(100_000, 'invites.points is at most 100000').default(20).describe('points for the inviter, once per invitee'),
  keepDays: positiveInt('invites.keepDays').max(365, 'invites.keepDays is at most 365').default(7).describe('the invitee must stay this many days'),
  rankTriggers: stringList().prefault(['邀请榜']).describe('the top inviters of the pool'),
  rankTop: positiveInt('invites.rankTop').max(50, 'invites.rankTop is at most 50 (one message)').default(10),
  rankTitle: template(['top']).prefault('邀请榜 TOP{top}'),
  rankLine: template(['rank', 'name', 'count']).prefault('{rank}. {name} 邀请 {count} 人'),
  rankEmpty: template(['days', 'points']).prefault('还没有人上榜～拉好友进群，好友留满 {days} 天你得 {points} 分'),
  creditText: template(['inviter', 'invitee', 'days', 'points'], 'optional: said in the room when an inviter is credited ({inviter} is an @mention)')
    .optional()
    .describe('optional: said in the room when the points are credited (default: silent)'),
})

export type InvitesConfig = z.output<typeof InvitesConfig>

export const CheckinConfig = z.strictObject({
  triggers: stringList().prefault(['签到', '打卡']).describe('the whole message, trimmed'),
  points: positiveInt('points').default(10).describe('points per daily check-in'),
  streakBonus: z
    .record(z.string().regex(/^\d+$/, 'streakBonus keys are streak lengths in days, like 7 or 30'), positiveInt('a streak bonus'))
    .default({})
    .transform((o) => new Map(Object.entries(o).map(([k, v]) => [Number(k), v])))
    .describe('extra points on the day the streak reaches N days, e.g. {7: 30, 30: 100}'),
  pool: z.string().min(1, 'pool cannot be empty').max(64, 'pool is at most 64 characters (it names folders in the data dir)').optional().describe('groups with the same pool share points (default: the group name)'),
  reply: template(['name', 'points', 'streak', 'total', 'rank']).prefault('{name} 签到成功 +{points}，连续 {streak} 天，共 {total} 分'),
  alreadyReply: template(['name', 'streak', 'total', 'rank']).prefault('{name} 今天已签到，共 {total} 分'),
  rankTriggers: stringList().prefault(['积分榜']),
  rankTop: positiveInt('rankTop').max(50, 'rankTop is at most 50 (one message)').default(10),
  rankTitle: template(['top']).prefault('积分榜 TOP{top}'),
  rankLine: template(['rank', 'name', 'total']).prefault('{rank}. {name} {total}'),
  rankEmpty: template([]).prefault('还没有人签到，发「签到」抢第一吧～'),
  meTriggers: stringList().prefault(['我的积分']),
  meReply: template(['name', 'total', 'rank', 'streak']).prefault('{name} 共 {total} 分，第 {rank} 名，连续 {streak} 天'),
  meNone: template(['name']).prefault('{name} 还没有积分，发「签到」开始吧～'),
  batchSeconds: z
    .number({ error: 'batchSeconds must be a number of seconds' })
    .min(0)
    .max(60, 'batchSeconds is at most 60')
    .default(0)
    .describe('>0: confirmations inside the window merge into one message'),
  activity: ActivityConfig.optional().describe('points for speaking: { points, minLength, cooldown, dailyCap } (off when absent)'),
  invites: InvitesConfig.optional().describe('points for inviting: { points, keepDays } (off when absent)'),
})

export type CheckinConfig = z.output<typeof CheckinConfig>
