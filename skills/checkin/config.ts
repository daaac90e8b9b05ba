import { z } from 'zod'
import { positiveInt, stringList } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/** The checkin skill's config: defaults, types and messages in one place. */
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
})

export type CheckinConfig = z.output<typeof CheckinConfig>
