import { z } from 'zod'
import { DateTime } from 'luxon'
import { reply, replyItems, replyTemplate } from '../../src/config/reply.js'
import { uses, type Template } from '../../src/text/template.js'
import { parseWhen, type When } from './when.js'

/*
 * posts 的配置 / posts' config — a group's own schedule (群SOP), CONTRACT §10:
 *
 *   posts:
 *     - id: morning
 *       when: "每天 09:00"         # 工作日 10:30 · 周一,周四 20:00 · 每月1日 10:00 · 2026-12-12 20:00 · 5 位 cron
 *       send: ["早上好！今天记得签到哦～", { media: rules }]
 *       skip: ["2027-01-28", "2027-01-29"]     # 可选：这些日子不发 / optional dates
 *     - id: day3
 *       after: { joined: 3d, at: "20:00" }    # 3 天前入群、现在还在群里的人，一条消息 @ 他们
 *       send: ["{names} 进群第 3 天啦，{points} 分以上可以去积分商城看看～"]   # vars: names, count, points
 */

/** Variables of an `after: joined` post: the members @-ed, how many, and the least points any of them has. */
export const AFTER_VARS = ['names', 'count', 'points'] as const

/** A post as the skill uses it (from the config or the console). */
export interface PostDef {
  id: string
  source: 'config' | 'console'
  when?: When
  after?: AfterJoined
  send: Template
  /** What the operator wrote in `send` (the API shows it back). */
  sendItems: ReadonlyArray<string | { media: string }>
  /** Local dates (`2027-01-28`) it is not sent on. */
  skip: ReadonlySet<string>
}

export interface AfterJoined {
  /** Members who joined this many calendar days before the post's day. */
  days: number
  hour: number
  minute: number
  /** As written: `{ joined: "3d", at: "20:00" }`. */
  source: { joined: string; at: string }
}

const DATE = /^\d{4}-\d{2}-\d{2}$/

export const PostIdSchema = z
  .union([z.string(), z.number()], { error: 'every post needs an id, a short word like morning' })
  .transform((v) => String(v).trim())
  .pipe(z.string().regex(/^[\p{L}\p{N}_.-]{1,32}$/u, 'a post id is one word of at most 32 letters, digits, - _ . (admins type it in #post skip <id>)'))

export const WhenSchema = z.string({ error: 'when is a text like "每天 09:00"' }).transform((s, ctx) => {
  const w = parseWhen(s)
  if ('error' in w) {
    ctx.addIssue({ code: 'custom', message: w.error })
    return z.NEVER
  }
  return w
})

export const AfterSchema = z
  .strictObject({
    joined: z
      .string({ error: 'joined is a number of days like 3d' })
      .trim()
      .regex(/^\d{1,3}d$/, 'joined is a number of days like 3d (members who joined that many days before)')
      .refine((s) => Number(s.slice(0, -1)) >= 1 && Number(s.slice(0, -1)) <= 365, 'joined is 1d to 365d'),
    at: z
      .string({ error: 'at is a time of day like "20:00"' })
      .trim()
      .regex(/^([01]?\d|2[0-3]):[0-5]\d$/, 'at is a time of day like "20:00"'),
  })
  .transform(
    (a): AfterJoined => ({
      days: Number(a.joined.slice(0, -1)),
      hour: Number(a.at.split(':')[0]),
      minute: Number(a.at.split(':')[1]),
      source: { joined: a.joined, at: a.at.padStart(5, '0') },
    }),
  )

export const SkipSchema = z
  .array(
    z
      .string({ error: 'skip is a list of dates like "2027-01-28"' })
      .trim()
      .refine((d) => DATE.test(d) && DateTime.fromFormat(d, 'yyyy-MM-dd').isValid, 'skip dates are like "2027-01-28"'),
    { error: 'skip is a list of dates like "2027-01-28"' },
  )
  .default([])

/** What a post sends: a text, or a list of texts and `{ media }` (the one reply type). */
export const SendSchema = reply([...AFTER_VARS], 'what the post sends; {names}, {count} and {points} only in after: joined posts.')

export const PostEntrySchema = z
  .strictObject({
    id: PostIdSchema,
    when: WhenSchema.optional().describe(`"每天 09:00", "工作日 10:30", "周一,周四 20:00", "每月1日 10:00", "2026-12-12 20:00", or a 5-field cron`),
    after: AfterSchema.optional().describe('{ joined: 3d, at: "20:00" }: the members who joined 3 days before, still in the room, @-ed in one post'),
    send: SendSchema,
    skip: SkipSchema.describe('dates (YYYY-MM-DD) it is not sent on'),
  })
  .superRefine((p, ctx) => {
    if (p.when === undefined && p.after === undefined && p.send !== undefined) ctx.addIssue({ code: 'custom', message: 'a post needs when (a schedule) or after: { joined: 3d, at: "20:00" }' })
    if (p.when !== undefined && p.after !== undefined) ctx.addIssue({ code: 'custom', path: ['after'], message: 'a post has when or after, not both (make it two posts)' })
    // (send may have failed its own check: it is reported there)
    const parsed = typeof p.send === 'object' && p.send !== null && 'parts' in p.send
    const v = p.when && parsed ? AFTER_VARS.find((x) => uses(p.send, x)) : undefined
    if (v) ctx.addIssue({ code: 'custom', path: ['send'], message: `{${v}} is only known in after: joined posts (who joined); a when post is the same for everyone`, params: { find: `{${v}}` } })
  })
  .transform(
    (p): PostDef => ({
      id: p.id,
      source: 'config',
      ...(p.when ? { when: p.when } : {}),
      ...(p.after ? { after: p.after } : {}),
      send: p.send,
      sendItems: replyItems(p.send),
      skip: new Set(p.skip),
    }),
  )

/** The skill's config: the group's posts (a list; `posts: true` or `{}` is none, the console may add some). */
export const PostsConfig = z
  .union([z.array(PostEntrySchema, { error: 'posts is a list of { id, when | after, send, skip? }' }), z.strictObject({})], {
    error: 'posts is a list of { id, when | after, send, skip? }',
  })
  .transform((v) => ({ posts: Array.isArray(v) ? v : [] }))
  .describe('the group’s own schedule (群SOP): posts sent to every room, exactly once per occurrence')

export type PostsSettings = z.output<typeof PostsConfig>

/** A console post's `send` as stored (raw items) → a PostDef's template. */
export function sendTemplate(items: ReadonlyArray<string | { media: string }>): Template {
  return replyTemplate(items.length === 1 ? items[0]! : items)
}
