import { z } from 'zod'
import { ProfileExtra } from './memberSchemas.js'

/**
 * The core API's shapes (CONTRACT §8; the names there are fixed, more fields are welcome).
 * Bodies and queries are validated with these; `GET /api/openapi.json` is generated from
 * them. A skill's section keeps its own next to it (skills/live/console/schemas.ts…).
 */

export const ErrorBody = z.object({ error: z.string().describe('what was wrong, for a person to read') })

export const GroupName = z.string().min(1).max(64).describe('a group name from the config')
/** A WeChat contact id (`wxid_…`): one word. */
export const ContactIdParam = z.object({ contactId: z.string().regex(/^[^\s/]{1,128}$/, 'contactId is a WeChat contact id (wxid_…)') })
/** A tag is one word of at most 20 characters (it is typed in chat after `#tag add @member`). */
export const TagName = z.string().regex(/^[^\s/#@]{1,20}$/u, 'a tag is one word of at most 20 characters, without # or @')

export const DayStatsShape = z.object({
  joins: z.number().int(),
  leaves: z.number().int(),
  checkins: z.number().int(),
  answeredByRules: z.number().int(),
  answeredByModel: z.number().int(),
  handedOff: z.number().int(),
  messages: z.number().int(),
})

export const GroupsResponse = z.array(
  z.object({
    name: z.string(),
    rooms: z.array(z.object({ id: z.string(), topic: z.string(), members: z.number().int().nullable().describe('null while not known yet') })),
    skills: z.array(z.string()).describe('skills on in this group'),
    pool: z.string().describe('the point pool its members earn into'),
    today: DayStatsShape.describe("today's numbers, all rooms of the group"),
    openHandoffs: z.number().int(),
  }),
)

export const GroupParams = z.object({ name: GroupName })

/** A group's detail as the core makes it; the route adds the sections' `groupFields` (the live desk's `lives`). */
export const GroupDetailCore = z.object({
  name: z.string(),
  pool: z.string(),
  leaderboard: z.array(z.object({ rank: z.number().int(), id: z.string(), name: z.string(), total: z.number(), streak: z.number().int() })),
})

/** What a client reads of `GET /api/groups/<name>`: the core's fields, and the sections' kept as they come. */
export const GroupDetailResponse = GroupDetailCore.loose()

export const StatsQuery = z.object({
  group: GroupName,
  days: z.coerce.number({ error: 'days is a number of days (1-366)' }).int('days is a whole number').min(1, 'days is 1 to 366').max(366, 'days is 1 to 366').default(30),
})

export const StatsResponse = z.object({
  group: z.string(),
  days: z.array(DayStatsShape.extend({ day: z.string().describe('YYYY-MM-DD in bot.timezone') })),
})

export const IdParams = z.object({ id: z.string().min(1).max(200) })

export const HandoffsQuery = z.object({ status: z.enum(['open', 'closed'], { error: 'status is open or closed' }).optional() })

export const HandoffShape = z.object({
  id: z.string(),
  group: z.string(),
  roomId: z.string(),
  roomTopic: z.string(),
  memberId: z.string(),
  memberName: z.string(),
  text: z.string(),
  reason: z.string().describe('a word: model-off, timeout, error, rule…'),
  reasonText: z.string().describe('the reason for people, in Chinese'),
  at: z.string().describe('ISO 8601'),
  status: z.enum(['open', 'closed']),
  replies: z.array(z.object({ text: z.string(), at: z.string(), by: z.string() })),
})

export const HandoffReplyBody = z.strictObject({
  text: z.string({ error: 'text is the reply to say in the room' }).trim().min(1, 'the reply cannot be empty').max(1000, 'the reply is at most 1000 characters'),
  close: z.boolean().default(true).describe('close the hand-off once answered (default true)'),
})

export const MemberQuery = z.object({ pool: z.string().min(1).max(64).optional() })

export const MemberResponse = z.object({
  id: z.string(),
  name: z.string(),
  pool: z.string().describe('the pool total/streak are from'),
  total: z.number(),
  streak: z.number().int(),
  tags: z.array(z.string()),
  tagMarks: z.record(z.string(), z.object({ source: z.string(), at: z.string(), by: z.string().optional() })),
  pools: z.array(z.object({ pool: z.string(), total: z.number(), streak: z.number().int(), checkins: z.number().int(), lastDay: z.string().nullable() })),
  ledger: z.array(z.object({ seq: z.number().int(), at: z.string(), day: z.string(), delta: z.number(), reason: z.string(), group: z.string(), note: z.string().optional() })),
  // the profile (CONTRACT §11): names, groups with their rooms' joins and leaves, whom they invited
  names: ProfileExtra.names.optional(),
  seen: ProfileExtra.seen.optional(),
  lastActive: ProfileExtra.lastActive.optional(),
  groups: ProfileExtra.groups.optional(),
  invited: ProfileExtra.invited.optional(),
})

export const PointsBody = z.strictObject({
  pool: z.string({ error: 'pool is the name of a point pool' }).min(1).max(64),
  delta: z
    .number({ error: 'delta is a whole number of points (negative takes away)' })
    .int('delta is a whole number')
    .refine((n) => n !== 0, 'delta cannot be 0')
    .refine((n) => Math.abs(n) <= 1_000_000, 'delta is at most 1,000,000 either way'),
  reason: z.string({ error: 'reason says why (it goes into the ledger)' }).trim().min(1, 'reason cannot be empty').max(200, 'reason is at most 200 characters'),
})

export const TagParams = ContactIdParam.extend({ tag: TagName })

export const TagResponse = z.object({ id: z.string(), tag: z.string(), changed: z.boolean(), tags: z.array(z.string()) })

export const SessionResponse = z.object({
  via: z.enum(['console', 'api']),
  sections: z
    .array(
      z.object({
        id: z.string(),
        title: z.string(),
        module: z.string().describe('the page: an ES module exporting render(root, api)'),
        path: z.string().optional().describe('the menu anchor when not #/x/<id>'),
        order: z.number().optional().describe('the menu position when declared (the core: 10 overview, 20 inbox, 40 members; default 100)'),
      }),
    )
    .describe('the sections that are on (their skill is on in a group), in menu order'),
})
