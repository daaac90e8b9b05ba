import { z } from 'zod'
import { GroupName } from '../../../src/console/extensions.js'

/**
 * The posts section's API shapes (CONTRACT §10: `GET|POST /api/posts`, `PUT|DELETE
 * /api/posts/<id>`, `POST /api/posts/<id>/skip|now`, `GET /api/deliveries`, and the content
 * calendar's `GET /api/calendar`). A post's fields are the YAML's, in the YAML's words; the
 * desk checks them with the config's own schema (skills/posts/config.ts) before anything is
 * stored.
 */

const MediaItem = z.strictObject({ media: z.string().min(1).max(64) })
const SendItem = z.union([z.string().min(1).max(2000), MediaItem])

export const PostBody = z.strictObject({
  groups: z
    .array(GroupName, { error: 'groups is a list of group names' })
    .min(1, 'name at least one group')
    .max(200)
    .refine((g) => new Set(g).size === g.length, 'a group is named twice'),
  when: z.string().min(1).max(100).optional().describe('as in the YAML: "每天 09:00", "工作日 10:30", "周一,周四 20:00", "每月1日 10:00", "2026-12-12 20:00", or a 5-field cron'),
  after: z.strictObject({ joined: z.string().max(10), at: z.string().max(5) }).optional().describe('as in the YAML: { joined: "3d", at: "20:00" }'),
  send: z.union([SendItem, z.array(SendItem).min(1).max(20)]).describe('a text, or a list of texts and { media: <name> } (names of the config’s media:)'),
  skip: z.array(z.string().max(10)).max(366).optional().describe('dates (YYYY-MM-DD) it is not sent on'),
})

export type PostBodyInput = z.output<typeof PostBody>

export const PostCreated = z.object({ id: z.string().describe('what PUT|DELETE /api/posts/<id> take') })

export const PostShape = z.object({
  id: z.string().describe('a console post: c<n>; a config post: its id, or <id>@<group> when groups give one id different posts'),
  groups: z.array(z.string()),
  when: z.string().optional(),
  after: z.object({ joined: z.string(), at: z.string() }).optional(),
  next: z.string().optional().describe('the next occurrence, ISO 8601 with the offset of bot.timezone (the earliest of its groups)'),
  source: z.enum(['config', 'console']),
  send: z.array(SendItem),
  skip: z.array(z.string()),
})

export const PostsResponse = z.array(PostShape)

export const SkipResult = z.object({
  id: z.string(),
  skipped: z.array(z.object({ group: z.string(), at: z.string().describe('the occurrence taken out') })),
  next: z.string().optional(),
})

export const NowResult = z.object({ id: z.string(), groups: z.array(z.string()), rooms: z.number().int().describe('rooms it is going to now') })

export const DeliveriesQuery = z.object({
  group: GroupName.optional(),
  days: z.coerce.number({ error: 'days is a number of days (1-40)' }).int('days is a whole number').min(1, 'days is 1 to 40').max(40, 'days is 1 to 40').default(7),
})

export const DeliveriesResponse = z.array(
  z.object({
    post: z.string(),
    group: z.string(),
    roomId: z.string(),
    at: z.string().describe('when it was due (ISO 8601)'),
    status: z.enum(['sent', 'skipped', 'failed']),
    reason: z.string().optional(),
    occurrence: z.string().describe('the occurrence, local time, or now-… for a send-now'),
    topic: z.string().optional(),
  }),
)

export const CalendarQuery = z.object({
  from: z
    .string({ error: 'from is a date like 2026-11-23' })
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'from is a date like 2026-11-23')
    .optional(),
  days: z.coerce.number({ error: 'days is a number of days (1-62)' }).int('days is a whole number').min(1, 'days is 1 to 62').max(62, 'days is 1 to 62').default(7),
})

export const CalendarResponse = z.array(
  z.object({
    at: z.string(),
    kind: z.enum(['post', 'live']),
    id: z.string().describe('a post: what /api/posts/<id> takes; a live: its id in the group'),
    group: z.string(),
    title: z.string(),
    source: z.string().optional(),
    skipped: z.boolean().optional(),
  }),
)

export const MediaResponse = z.array(z.object({ name: z.string(), kind: z.enum(['image', 'file', 'link', 'miniProgram']), fallback: z.string().optional() }))
