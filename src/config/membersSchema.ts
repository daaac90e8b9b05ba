import { z } from 'zod'
import { duration, positiveInt } from './common.js'

/** Brand-wide parts of `bot:` for the member record (CONTRACT §11, src/members/). */

export const DEFAULT_RETAIN_DAYS = 180

export const PrivacySchema = z
  .strictObject({
    retainDays: positiveInt('retainDays')
      .max(3650, 'retainDays is at most 3650 (ten years)')
      .default(DEFAULT_RETAIN_DAYS)
      .describe('the timeline of a member who left every group is deleted this many days after the last leave; messages per day are kept this many days'),
  })
  .default({ retainDays: DEFAULT_RETAIN_DAYS })
  .describe('个人信息保护: how long the member record is kept')

export type PrivacySettings = z.output<typeof PrivacySchema>

/** Default pace of comparing every room's member list with the record. */
export const DEFAULT_RECONCILE_MS = 5 * 60_000

export const MembersSchema = z
  .strictObject({
    reconcileEvery: z
      .union([z.literal(0), z.literal('0'), z.literal(false), duration()], { error: 'reconcileEvery is a duration like 10m, or 0 to compare only at start and when an unknown member speaks' })
      .transform((v) => (v === 0 || v === '0' || v === false ? 0 : v))
      .default(DEFAULT_RECONCILE_MS)
      .describe('how often each room’s member list is compared with the record (joins and leaves the puppet did not announce); 0: only at start and when an unknown member speaks'),
  })
  .default({ reconcileEvery: DEFAULT_RECONCILE_MS })
  .describe('the member record (用户画像)')

export type MembersSettings = z.output<typeof MembersSchema>
