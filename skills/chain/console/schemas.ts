import { z } from 'zod'
import { GroupName } from '../../../src/console/extensions.js'

export const ChainsQuery = z.object({
  group: GroupName.optional().describe('only this group (default: every group that has chains)'),
  status: z.enum(['open', 'closed', 'all'], { error: 'status is open, closed or all' }).default('all'),
  limit: z.coerce.number({ error: 'limit is a number (1-500)' }).int('limit is a whole number').min(1, 'limit is 1 to 500').max(500, 'limit is 1 to 500').default(100),
})

export const ChainParams = z.object({
  group: GroupName,
  id: z.string().regex(/^c\d{1,9}$/, 'a chain id is c<number>, like c3'),
})

export const EntryShape = z.object({
  place: z.number().int().describe('1-based: on the list, or on the waitlist when waiting'),
  waiting: z.boolean(),
  memberId: z.string(),
  name: z.string(),
  note: z.string(),
  at: z.string().describe('when they joined, ISO 8601 in bot.timezone'),
  via: z.enum(['text', 'repost', 'groupNote']).describe('a trigger text, a repost of WeChat’s list, WeChat’s group-note message'),
})

export const ChainShape = z.object({
  id: z.string(),
  group: z.string(),
  roomId: z.string(),
  roomTopic: z.string(),
  title: z.string(),
  limit: z.number().int().optional(),
  deadline: z.string().optional().describe('ISO 8601 in bot.timezone'),
  status: z.enum(['open', 'closed']),
  openedAt: z.string(),
  openedBy: z.object({ id: z.string(), name: z.string() }),
  closedAt: z.string().optional(),
  closedBy: z.string().optional().describe('an admin contact id, deadline, console or api'),
  joined: z.number().int().describe('on the list'),
  waiting: z.number().int().describe('on the waitlist'),
  entries: EntryShape.array().describe('the list, then the waitlist, in order'),
})

export type ChainView = z.infer<typeof ChainShape>
