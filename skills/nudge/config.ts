import { z } from 'zod'
import { positiveInt } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/*
 * nudge 的配置 / the nudge skill's config (沉默成员提醒, CONTRACT §12):
 *
 *   nudge:
 *     silentDays: 14             # 这么多天没说话的成员 / members silent this long
 *     report: weekly             # 私信管理员名单 daily | weekly / the admins get the list privately
 *     at: "10:00"                # 几点发 / when, in bot.timezone
 *     weekday: 1                 # weekly：周几（1 = 周一 … 7 = 周日）/ which day of the week
 *     remind: { text: "{names} 好久不见～今天签到送双倍积分", max: 20 }   # 可选：在群里 @ 他们，每周最多 20 人
 */
export const NudgeConfig = z.strictObject({
  silentDays: positiveInt('silentDays').max(365, 'silentDays is at most 365').default(14).describe('members who have not spoken in the group for this many days'),
  report: z.enum(['daily', 'weekly'], { error: 'report is daily or weekly' }).default('weekly').describe('how often the admins get the list, privately'),
  at: z
    .string({ error: 'at is a time of day like "10:00"' })
    .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'at is a time of day like "10:00" (00:00-23:59)')
    .default('10:00')
    .describe('when the list (and the reminder) goes out, in bot.timezone'),
  weekday: z
    .number({ error: 'weekday is a number, 1 (Monday) to 7 (Sunday)' })
    .int('weekday is a whole number, 1 (Monday) to 7 (Sunday)')
    .min(1, 'weekday is 1 (Monday) to 7 (Sunday)')
    .max(7, 'weekday is 1 (Monday) to 7 (Sunday)')
    .default(1)
    .describe('report: weekly — the day it goes out, 1 = Monday'),
  listMax: positiveInt('listMax').max(200, 'listMax is at most 200').default(50).describe('at most this many names in the admins\' list (the longest silent first)'),
  remind: z
    .strictObject({
      text: template(['names', 'days'], '{names} are real @mentions of the silent members').prefault('{names} 好久不见～最近群里很热闹，来签到领积分吧'),
      max: positiveInt('remind.max').max(100, 'remind.max is at most 100').default(20).describe('at most this many members @-ed per room and week'),
    })
    .optional()
    .describe('optional: @ the silent members in their room, at most `max` a week; each at most once per silentDays'),
})

export type NudgeConfig = z.output<typeof NudgeConfig>
