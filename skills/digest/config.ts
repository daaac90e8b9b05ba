import { z } from 'zod'
import { positiveInt } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/*
 * digest 的配置 / the digest's config (每日摘要, CONTRACT §12). Opt-in per group:
 *
 *   digest:
 *     at: "22:00"               # 每天几点私信管理员 / when the admins get it, in bot.timezone
 *     tokenBudget: 8000         # AI 摘要每天最多用的 token（保守计数，含每次回复上限）/ the most tokens a day's summary may use
 */
export const DigestConfig = z
  .strictObject({
    at: z
      .string({ error: 'at is a time of day like "22:00"' })
      .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'at is a time of day like "22:00" (00:00-23:59)')
      .default('22:00')
      .describe('when the admins get the day\'s digest, in bot.timezone'),
    questionsMax: positiveInt('questionsMax').max(100, 'questionsMax is at most 100').default(30).describe('at most this many questions listed (the newest)'),
    summary: z.boolean({ error: 'summary is true or false' }).default(true).describe('a model-written summary of the topics when `ai` is configured'),
    tokenBudget: positiveInt('tokenBudget')
      .min(1000, 'tokenBudget is at least 1000 (a summary needs room for some messages)')
      .max(500_000, 'tokenBudget is at most 500000')
      .default(8000)
      .describe('the most tokens the day\'s summary may use: every prompt (counted conservatively) plus each reply\'s limit'),
    replyTokens: positiveInt('replyTokens').min(50, 'replyTokens is at least 50').max(4000, 'replyTokens is at most 4000').default(400).describe('the limit of each model reply (inside tokenBudget)'),
    chunkTokens: positiveInt('chunkTokens')
      .min(500, 'chunkTokens is at least 500')
      .max(100_000, 'chunkTokens is at most 100000')
      .default(3000)
      .describe('messages per model call, in tokens: a longer day is summarised in chunks, then merged'),
    announceText: template([], 'said once in each room of the group when the digest is on').prefault(
      '本群已开启每日摘要：当天的群消息会汇总给工作人员，以便及时跟进大家的问题（消息内容最多保存 24 小时）。',
    ),
  })
  .superRefine((c, ctx) => {
    if (c.tokenBudget < 3 * c.replyTokens) {
      ctx.addIssue({ code: 'custom', path: ['tokenBudget'], message: `tokenBudget (${c.tokenBudget}) must be at least 3 × replyTokens (${3 * c.replyTokens}): each call reserves its reply` })
    }
  })

export type DigestConfig = z.output<typeof DigestConfig>
