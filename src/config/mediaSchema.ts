import { z } from 'zod'
import { nonNegativeInt } from './common.js'

/**
 * The top-level `media:` section (CONTRACT §10): named pieces of content any reply may carry as
 * `{ media: <name> }`.
 *
 *   media:
 *     rules:     { image: media/群规.png }              # a file beside the config, or an https URL
 *     pricelist: { file: media/价目表.pdf }
 *     live-card: { link: { url: "https://…", title: 今晚 8 点直播, description: 点开预约, thumb: media/live.jpg } }
 *     shop:      { miniProgram: { appid: wx0123456789, username: gh_abc@app, title: 积分商城, pagePath: pages/index, thumb: media/shop.jpg },
 *                  fallback: "积分商城：https://…" }     # sent instead where the account cannot send this kind
 */

/** What a budget and the sandbox call each kind. */
export type MediaKind = 'image' | 'file' | 'link' | 'miniProgram'

export const MEDIA_KINDS: readonly MediaKind[] = ['image', 'file', 'link', 'miniProgram']

/** Where a piece of media is: a file (relative to the config's folder) or an https URL. */
export interface MediaSource {
  /** As written in the config. */
  given: string
  /** The https URL, when it is one. */
  url?: string
}

export const MediaSourceSchema = z
  .string({ error: 'expected a file path beside the config (media/群规.png) or an https URL' })
  .trim()
  .min(1, 'expected a file path beside the config (media/群规.png) or an https URL')
  .transform((given, ctx): MediaSource => {
    if (/^https:\/\//i.test(given)) {
      if (!URL.canParse(given)) {
        ctx.addIssue({ code: 'custom', message: `"${given}" is not a valid URL` })
        return z.NEVER
      }
      return { given, url: given }
    }
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(given)) {
      ctx.addIssue({ code: 'custom', message: `"${given}": only https URLs are fetched (or give a file beside the config)` })
      return z.NEVER
    }
    return { given }
  })

const httpsUrl = (what: string) =>
  z
    .string({ error: `${what} is an https URL` })
    .trim()
    .refine((u) => /^https?:\/\//i.test(u) && URL.canParse(u), { message: `${what} is a URL like https://…` })

const text = (what: string, max: number) =>
  z
    .string({ error: `${what} is a text` })
    .trim()
    .min(1, `${what} cannot be empty`)
    .max(max, `${what} is at most ${max} characters (WeChat cuts longer ones)`)

const LinkSchema = z.strictObject({
  url: httpsUrl('link.url').describe('where the card leads'),
  title: text('link.title', 64),
  description: text('link.description', 120).optional(),
  thumb: MediaSourceSchema.optional().describe('an image; the card’s thumbnail (JPEG, ≤ 200 KB, 5:4) is made from it'),
})

const MiniProgramSchema = z.strictObject({
  appid: z.string({ error: 'miniProgram.appid is the mini program’s app id (wx…)' }).trim().min(1),
  username: z.string({ error: 'miniProgram.username is its original id (gh_…@app)' }).trim().min(1),
  title: text('miniProgram.title', 64),
  pagePath: z.string({ error: 'miniProgram.pagePath is a page path like pages/index' }).trim().min(1).optional(),
  description: text('miniProgram.description', 120).optional(),
  iconUrl: httpsUrl('miniProgram.iconUrl').optional(),
  thumb: MediaSourceSchema.optional().describe('an image; the card’s thumbnail (JPEG, ≤ 200 KB, 5:4) is made from it'),
})

const KIND_KEYS = ['image', 'file', 'link', 'miniProgram'] as const

const MediaItemSchema = z
  .strictObject({
    image: MediaSourceSchema.optional().describe('a JPEG, PNG or GIF picture, at most 4 MB'),
    file: MediaSourceSchema.optional().describe('any file (PDF, Excel…), at most 4 MB'),
    link: LinkSchema.optional().describe('a link card (UrlLink)'),
    miniProgram: MiniProgramSchema.optional().describe('a mini-program card'),
    fallback: text('fallback', 2000)
      .optional()
      .describe('sent instead where the account cannot send this (the puppet refuses the kind, the daily budget is spent, a fetch failed); without it the item is skipped and counted'),
  })
  .superRefine((m, ctx) => {
    const given = KIND_KEYS.filter((k) => m[k] !== undefined)
    if (given.length === 0) ctx.addIssue({ code: 'custom', message: 'a media item is one of image, file, link or miniProgram' })
    else if (given.length > 1) ctx.addIssue({ code: 'custom', path: [given[1]!], message: `a media item is ONE of image, file, link or miniProgram; this one has ${given.join(' and ')} (make it two items)` })
  })
  .transform((m): MediaSpec => {
    const fallback = m.fallback === undefined ? {} : { fallback: m.fallback }
    if (m.image) return { kind: 'image', source: m.image, ...fallback }
    if (m.file) return { kind: 'file', source: m.file, ...fallback }
    if (m.link) return { kind: 'link', link: m.link, ...(m.link.thumb ? { thumb: m.link.thumb } : {}), ...fallback }
    return { kind: 'miniProgram', miniProgram: m.miniProgram!, ...(m.miniProgram!.thumb ? { thumb: m.miniProgram!.thumb } : {}), ...fallback }
  })

export type LinkSpec = z.output<typeof LinkSchema>
export type MiniProgramSpec = z.output<typeof MiniProgramSchema>

/** One item of `media:`, as the rest of the bot sees it. */
export type MediaSpec = { fallback?: string; thumb?: MediaSource } & (
  | { kind: 'image' | 'file'; source: MediaSource }
  | { kind: 'link'; link: LinkSpec }
  | { kind: 'miniProgram'; miniProgram: MiniProgramSpec }
)

/** Names are what replies write after `media:`; keep them plain so they read well in YAML. */
const NAME = /^[\p{L}\p{N}_.-]{1,64}$/u

export const MediaSectionSchema = z
  .record(z.string(), MediaItemSchema, { error: 'media is a map of name → { image | file | link | miniProgram }' })
  .superRefine((r, ctx) => {
    for (const name of Object.keys(r)) {
      if (!NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: `media name "${name}": use letters, digits, - _ . (at most 64)` })
    }
  })
  .transform((r) => new Map(Object.entries(r)))
  .optional()
  .transform((m) => m ?? new Map<string, MediaSpec>())
  .describe('named pictures, files, link cards and mini-program cards; any reply may send one as { media: <name> }')

export type MediaSection = z.output<typeof MediaSectionSchema>

/** `bot.rateLimit.perDay`: WeChat blocks accounts that send too many of a kind in a day. */
export const PerDaySchema = z
  .strictObject({
    image: nonNegativeInt('perDay.image').default(300),
    file: nonNegativeInt('perDay.file').default(100),
    link: nonNegativeInt('perDay.link').default(300),
    miniProgram: nonNegativeInt('perDay.miniProgram').default(200),
  })
  .default({ image: 300, file: 100, link: 300, miniProgram: 200 })
  .describe('most media of each kind per account per day (a day in bot.timezone); beyond: the item’s fallback text, or tomorrow for a post')

export type PerDay = z.output<typeof PerDaySchema>
