import { DateTime } from 'luxon'
import { z } from 'zod'

/**
 * The shapes of the member list, profile, timeline, export and churn (CONTRACT §11; the names
 * there are fixed, more fields are welcome). Queries are strict: an unknown parameter, an
 * unknown value, a negative page, a size over 500 or a malformed date is a 400 that names the
 * parameter (`querystring.size: …`).
 */

const int = (name: string, min: number, max: number) =>
  z.coerce
    .number({ error: `${name} is a whole number` })
    .int(`${name} is a whole number`)
    .min(min, `${name} is ${min} or more`)
    .max(max, `${name} is at most ${max}`)

/** `2026-11-26` (a day in bot.timezone) or an ISO 8601 instant; checked to be a real date. */
const DateParam = (name: string) =>
  z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?$/, `${name} is a date like 2026-11-26 (or 2026-11-26T20:00+08:00)`)
    .refine((s) => DateTime.fromISO(s.replace(' ', 'T'), { zone: 'UTC' }).isValid, `${name} is not a real date`)

export const MemberListQuery = z.strictObject({
  group: z.string().min(1).max(64).optional().describe('only members ever in a room of this group; status, joined, via and silence are then about it'),
  q: z.string().max(100, 'q is at most 100 characters').optional().describe('a substring of any name seen (nickname, room alias) or of the contact id'),
  tags: z.string().max(500).optional().describe('tags, comma-separated'),
  tagMode: z.enum(['any', 'all', 'none'], { error: 'tagMode is any, all or none' }).default('any'),
  pointsMin: int('pointsMin', 0, 1_000_000_000).optional(),
  pointsMax: int('pointsMax', 0, 1_000_000_000).optional(),
  pool: z.string().min(1).max(64).optional().describe("the pool points are counted in (default: the group's pool; no group: every pool summed)"),
  silentDays: int('silentDays', 0, 3650).optional().describe('silent for at least this many days'),
  joinedFrom: DateParam('joinedFrom').optional().describe('latest join on or after this day (or instant)'),
  joinedTo: DateParam('joinedTo').optional().describe('latest join on or before this day (or before this instant)'),
  via: z.string().min(1).max(128).optional().describe('a gate keyword, or the contact id of the inviter'),
  status: z.enum(['in', 'left'], { error: 'status is in or left' }).optional(),
  sort: z.enum(['points', 'lastActive', 'joined', 'name'], { error: 'sort is points, lastActive, joined or name' }).default('lastActive'),
  order: z.enum(['asc', 'desc'], { error: 'order is asc or desc' }).default('desc'),
  page: int('page', 1, 1_000_000).default(1).describe('from 1'),
  size: int('size', 1, 500).default(50).describe('1 to 500'),
})

export type MemberListQuery = z.output<typeof MemberListQuery>

/** The CSV takes the same filters and sort; it has every match, no pages. */
export const MemberCsvQuery = MemberListQuery.omit({ page: true, size: true })

export const MemberItem = z.object({
  id: z.string(),
  name: z.string(),
  groups: z.array(z.string()).describe('groups the member is in now'),
  points: z.number(),
  lastActive: z.string().nullable().describe('ISO 8601: the last message (in the group when filtered by one)'),
  joined: z.string().nullable().describe('ISO 8601: the latest join (absent: in the room when the bot first listed it)'),
  tags: z.array(z.string()),
  names: z.array(z.string()).describe('every name seen'),
  status: z.enum(['in', 'left', 'unknown']),
  leftGroups: z.array(z.string()),
  via: z.string().optional(),
  inviterId: z.string().optional(),
})

export const MemberListResponse = z.object({
  total: z.number().int(),
  page: z.number().int(),
  size: z.number().int(),
  items: z.array(MemberItem),
})

export const TimelineResponse = z.array(
  z.object({
    at: z.string().describe('ISO 8601'),
    kind: z.string().describe('join, leave, present, name, messages, checkin, points, tag, untag, handoff, order, strike…'),
    group: z.string().nullable(),
    detail: z.string(),
  }),
)

export const ProfileExtra = {
  names: z.array(z.string()),
  seen: z.string().nullable().describe('ISO 8601: when the bot first knew them'),
  lastActive: z.string().nullable(),
  groups: z.array(
    z.object({
      group: z.string(),
      in: z.boolean(),
      rooms: z.array(
        z.object({
          roomId: z.string(),
          topic: z.string(),
          in: z.boolean(),
          joinedAt: z.string().nullable(),
          leftAt: z.string().nullable(),
          joins: z.number().int(),
          inviterId: z.string().optional(),
          via: z.string().optional(),
          found: z.boolean().describe('the latest join or leave was found by comparing the member list'),
        }),
      ),
      lastActive: z.string().nullable(),
    }),
  ),
  invited: z.array(z.object({ id: z.string(), name: z.string(), group: z.string(), joinedAt: z.string().nullable() })).describe('members this one invited'),
}

export const ForgetResponse = z.object({ id: z.string(), forgotten: z.literal(true), anonymousId: z.string(), removed: z.record(z.string(), z.number()) })

export const ChurnQuery = z.strictObject({
  group: z.string().min(1).max(64),
  days: int('days', 1, 366).default(30),
})

export const ChurnResponse = z.object({
  group: z.string(),
  days: z.array(
    z.object({
      day: z.string(),
      joins: z.number().int(),
      leaves: z.number().int(),
      net: z.number().int(),
      members: z.number().int(),
      silent7: z.number().int(),
      silent30: z.number().int(),
    }),
  ),
  cohorts: z.array(z.object({ week: z.string().describe('the Monday, YYYY-MM-DD'), joined: z.number().int(), retained: z.array(z.number().int().nullable()).describe('after 1, 2, 4, 8 weeks; null: not yet known') })),
  afterBot: z.array(
    z.object({ at: z.string(), roomId: z.string(), topic: z.string(), skill: z.string(), kind: z.string(), text: z.string().optional(), leaves: z.number().int() }),
  ),
})
