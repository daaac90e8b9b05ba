import { z } from 'zod'
import { duration, stringList } from '../../src/config/common.js'
import type { SchemaEnv } from '../../src/engine/Skill.js'
import { template } from '../../src/text/template.js'
import { MediaRefSchema, reply } from '../../src/config/reply.js'
import { ZonedTime } from '../../src/time/ZonedTime.js'

/**
 * The live skill's config. Times are read in `bot.timezone` (or carry their own offset), so
 * the schema is made per load from the SchemaEnv; a start that is not a time is an error at
 * its file:line:col, a start in the past only a warning (see check() in index.ts).
 */

/** `YYYY-MM-DD HH:mm` in the bot's zone, or ISO 8601 with an offset → ms since epoch. */
export const liveTime = (time: ZonedTime) =>
  z.string({ error: 'start is a time like "2026-11-25 20:00"' }).transform((s, ctx) => {
    const at = time.parse(s)
    if (at === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `"${s}" is not a time; use "YYYY-MM-DD HH:mm" (in ${time.zone}) or ISO 8601 with an offset, like 2026-11-25T20:00:00+08:00`,
      })
      return z.NEVER
    }
    return at
  })

/** A preview ends with exactly one line break, so `{preview}{link}` puts the link on its own line. */
const preview = z
  .string({ error: 'preview is a text (the product list)' })
  .transform((s) => s.trim())
  .transform((s) => (s === '' ? undefined : `${s}\n`))

export const liveEntry = (time: ZonedTime) =>
  z.strictObject({
    id: z
      .union([z.string(), z.number()], { error: 'every live needs an id, a short word like d11' })
      .transform((v) => String(v).trim())
      .pipe(
        z
          .string()
          .regex(/^\S{1,32}$/, 'a live id is one word of at most 32 characters (admins type it in #live cancel <id>)'),
      )
      .describe('a short word, unique in the group; admins type it in #live cancel <id>'),
    title: z.string({ error: 'every live needs a title' }).trim().min(1, 'the title cannot be empty').max(100, 'the title is at most 100 characters'),
    start: liveTime(time).describe(`"YYYY-MM-DD HH:mm" in bot.timezone, or ISO 8601 with an offset`),
    link: z.string({ error: 'link is a text (a URL)' }).trim().min(1).optional(),
    preview: preview.optional().describe('the product list, shown in reminders'),
  })

/** Offsets before the start, largest first, each once. A single duration is a list of one. */
const remindOffsets = z
  .union([duration(), z.array(duration())], { error: 'remind is a list of durations like [1h, 10m]' })
  .transform((v) => [...new Set(typeof v === 'number' ? [v] : v)].sort((a, b) => b - a))

/**
 * A config live's preview may also be a list of texts and `{ media: <name> }` (CONTRACT §10):
 * the texts are `{preview}`, the media items (the live's poster, its card) go out right after
 * the reminder and the start message, as messages of their own.
 */
const configPreview = z
  .union([z.string(), z.array(z.union([z.string(), MediaRefSchema], { error: 'a preview item is a text or { media: <name> }' })).min(1)], {
    error: 'preview is a text (the product list), or a list of texts and { media: <name> }',
  })
  .transform((v) => {
    const items = typeof v === 'string' ? [v] : v
    const text = items.filter((x): x is string => typeof x === 'string').join('\n').trim()
    const media = items.flatMap((x) => (typeof x === 'string' ? [] : [x.media]))
    return { ...(text === '' ? {} : { text: `${text}\n` }), ...(media.length > 0 ? { media } : {}) }
  })

export const liveConfig = (env: SchemaEnv) => {
  const time = new ZonedTime(env.timezone)
  return z.strictObject({
    lives: z
      .array(liveEntry(time).extend({ preview: configPreview.optional().describe('the product list shown in reminders; media items go out after them') }), {
        error: 'lives is a list of {id, title, start, link, preview}',
      })
      .default([]),
    remind: remindOffsets.prefault(['1h', '10m']).describe('reminders before the start; units s, m, h, d'),
    remindText: reply(['title', 'start', 'in', 'link', 'preview'], 'Sent at each reminder.').prefault(
      '【直播预告】{title} {in}后开播（{start}）\n{preview}{link}',
    ),
    startText: reply(['title', 'start', 'link', 'preview', 'subscribers'], 'Sent at the start; {subscribers} @s who subscribed in that room.').prefault(
      '【开播啦】{title} {link} {subscribers}',
    ),
    subscribeTriggers: stringList().prefault(['预约', '预约直播']).describe('the whole message, trimmed: subscribe to the next live'),
    subscribeReply: template(['name', 'title', 'start']).prefault('{name} 预约成功：「{title}」{start} 开播，开播时 @ 你'),
    alreadySubscribedReply: template(['name', 'title', 'start']).prefault('{name} 已经预约过「{title}」啦，开播时 @ 你'),
    noLiveReply: template([], 'When nobody can subscribe or nothing is planned.').prefault('暂时没有直播预告，敬请期待～'),
    listTriggers: stringList().prefault(['直播预告']).describe('the whole message, trimmed: list the upcoming lives'),
    listTitle: template([]).prefault('直播预告'),
    listLine: template(['id', 'title', 'start', 'link']).prefault('{start} {title}（编号 {id}）'),
  })
}

export type LiveConfig = z.output<ReturnType<typeof liveConfig>>
export type LiveEntry = LiveConfig['lives'][number]
