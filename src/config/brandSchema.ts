import { z } from 'zod'
import { reply } from './reply.js'
import { nonNegativeInt, positiveInt, stringList } from './common.js'

/**
 * Brand-wide parts of `bot:` (CONTRACT §4, §5): rule tags and friend requests. They belong to
 * no group; the skills that act on them (skills/tags, skills/gate) read them from `ctx.bot`.
 */

export const TagRuleSchema = z.strictObject({
  tag: z.string({ error: 'tag is the tag to give, a text' }).trim().min(1, 'tag cannot be empty').max(32, 'a tag is at most 32 characters'),
  when: z
    .strictObject({
      streak: positiveInt('streak').optional().describe('a check-in streak of this many days or more'),
      points: nonNegativeInt('points').optional().describe('this many points or more'),
      pool: z.string().min(1).optional().describe('in this pool (default: any pool)'),
    })
    .refine((w) => w.streak !== undefined || w.points !== undefined, { message: 'when needs streak or points (or both: both must hold)' })
    .describe('all must hold; checked whenever a member’s points change'),
})

export type TagRule = z.output<typeof TagRuleSchema>

export const TagRulesSchema = z.array(TagRuleSchema, { error: 'tags is a list of { tag, when }' }).default([]).describe('tags given by rules (streaks, points)')

export const FriendsSchema = z
  .strictObject({
    accept: z
      .enum(['all', 'keywords', 'none'], { error: 'accept is all, keywords or none' })
      .default('none')
      .describe('which friend requests are accepted'),
    keywords: stringList().default([]).describe('with accept: keywords, the hello text must contain one of these'),
    greeting: reply(['name'], 'sent as a private message after accepting.').optional(),
    perDay: positiveInt('perDay').default(100).describe('most accepts per day; beyond it requests wait for tomorrow (kept, not lost)'),
  })
  .refine((f) => f.accept !== 'keywords' || f.keywords.length > 0, {
    message: 'accept: keywords needs keywords (or use accept: all)',
    path: ['keywords'],
  })
  .default({ accept: 'none', keywords: [], perDay: 100 })
  .describe('friend requests (好友申请)')

export type FriendsSettings = z.output<typeof FriendsSchema>
