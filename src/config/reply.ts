import { z } from 'zod'
import type { MediaMark, MessageBreak } from '../text/Outgoing.js'
import { checkPlaceholders, parseTemplate, type Template } from '../text/template.js'

/**
 * The one reply type of the config (CONTRACT §10): wherever the config takes a reply text
 * (welcome, autoreply rules, live reminders, gate replies, shop replies, posts…) it also takes
 * a list whose items are texts or `{ media: <name> }`, sent in order as separate messages:
 *
 *   reply: "价目表在这里～"
 *   reply: ["价目表在这里～", { media: pricelist }]
 *   reply: { media: rules }
 *
 * It parses to a `Template` like a plain text, so every skill renders and says it as before:
 * `ctx.render()` gives segments with the media items and breaks in place, and the send path
 * (SkillContext.sayIn) cuts them into messages — a media item always alone, through the same
 * queue, limits and lanes as texts. That `media` names an item of the top-level `media:` is
 * checked when the whole config is loaded (src/media/mediaRefs.ts), at the `{ media }` itself.
 */

/** `{ media: <name> }`: an item of the top-level `media:`. */
export const MediaRefSchema = z.strictObject({
  media: z.string({ error: 'media is the name of an item of the top-level media: section' }).trim().min(1, 'media needs a name'),
})

const ITEM_ERROR = 'expected a text, or { media: <name> } (an item of the top-level media: section)'

/** The schema of a reply slot: `vars` are the `{var}` placeholders its texts may use. */
export function reply(vars: readonly string[], description?: string) {
  const item = z.union([z.string(), MediaRefSchema], { error: ITEM_ERROR })
  return z
    .union([item, z.array(item, { error: ITEM_ERROR }).min(1, 'the list is empty; give at least one text or { media }')], {
      error: `expected a text, or a list of texts and { media: <name> }`,
    })
    .superRefine((r, ctx) => {
      if (typeof r === 'string') return checkPlaceholders(r, vars, ctx)
      if (Array.isArray(r)) r.forEach((x, i) => typeof x === 'string' && checkPlaceholders(x, vars, ctx, [i]))
    })
    .transform(replyTemplate)
    .meta({
      description: `${description ? description + ' ' : ''}A text, or a list of texts and { media: <name> } sent in order as separate messages. Variables: ${vars.map((v) => `{${v}}`).join(' ')}`,
    })
}

/** A reply as written in the config → the Template every skill renders. */
export function replyTemplate(r: string | { media: string } | ReadonlyArray<string | { media: string }>): Template {
  if (typeof r === 'string') return parseTemplate(r)
  const items = Array.isArray(r) ? (r as ReadonlyArray<string | { media: string }>) : [r as { media: string }]
  const parts: Array<string | { v: string } | MediaMark | MessageBreak> = []
  let lastText = false
  for (const x of items) {
    if (typeof x === 'string') {
      // two texts in a row are two messages
      if (lastText) parts.push({ break: true })
      parts.push(...parseTemplate(x).parts)
      lastText = true
    } else {
      parts.push({ media: x.media })
      lastText = false
    }
  }
  return { source: items.map((x) => (typeof x === 'string' ? x : `[${x.media}]`)).join(' | '), parts }
}

/** A reply's items as written (texts with their `{var}`s, and `{ media }`): the API shows them back. */
export function replyItems(t: Template): Array<string | { media: string }> {
  const out: Array<string | { media: string }> = []
  let text: string | undefined
  const flush = (): void => {
    if (text !== undefined) out.push(text)
    text = undefined
  }
  for (const p of t.parts) {
    if (typeof p === 'string') text = (text ?? '') + p
    else if ('v' in p) text = `${text ?? ''}{${p.v}}`
    else if ('media' in p) {
      flush()
      out.push({ media: p.media })
    } else flush()
  }
  flush()
  return out
}
