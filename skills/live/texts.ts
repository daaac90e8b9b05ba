import type { Member } from '../../src/engine/Skill.js'
import type { MediaMark, Mention, Segment } from '../../src/text/Outgoing.js'
import { uses } from '../../src/text/template.js'
import { humanDurationZh } from '../../src/time/duration.js'
import type { LiveCtx } from './context.js'
import type { Live } from './LiveCatalog.js'

/**
 * At most this many @s per message: a start message @-ing a hundred subscribers in one text
 * is a wall of names; several short messages read better and stay far below MAX_TEXT_LENGTH.
 */
export const MENTIONS_PER_MESSAGE = 20

/** `1小时`, `58分钟`, `3秒`: whole minutes once it is a minute or more (a late reminder says `58分钟`, not `57分钟54秒`). */
export function untilStart(ms: number): string {
  return humanDurationZh(ms >= 60_000 ? Math.round(ms / 60_000) * 60_000 : ms)
}

/** The reminder, with `{in}` counted from `now` (the moment it is queued, not planned). */
export function reminderText(ctx: LiveCtx, live: Live, now: number): Segment[] {
  const text = tidy(
    ctx.render(ctx.config.remindText, {
      title: live.title,
      start: ctx.time.format(live.start),
      in: untilStart(live.start - now),
      link: live.link,
      preview: live.preview,
    }),
  )
  return [...text, ...previewMedia(live)]
}

/** The preview's media items (poster, card): after the text, each a message of its own. */
function previewMedia(live: Live): MediaMark[] {
  return (live.previewMedia ?? []).map((media) => ({ media }))
}

/**
 * The start message for one room: the template with the first 20 subscribers @-ed, then
 * further messages of 20 mentions each. A template without `{subscribers}` @s nobody.
 */
export function startMessages(ctx: LiveCtx, live: Live, subscribers: readonly Member[]): Segment[][] {
  const mentions: Mention[] = subscribers.map((m) => ({ mention: m.id, name: m.name }))
  const chunks: Mention[][] = []
  for (let i = 0; i < mentions.length; i += MENTIONS_PER_MESSAGE) chunks.push(mentions.slice(i, i + MENTIONS_PER_MESSAGE))
  const first = tidy(
    ctx.render(ctx.config.startText, {
      title: live.title,
      start: ctx.time.format(live.start),
      link: live.link,
      preview: live.preview,
      subscribers: chunks[0] ?? [],
    }),
  )
  const usesSubscribers = uses(ctx.config.startText, 'subscribers')
  const firstWithMedia = [...first, ...previewMedia(live)]
  return usesSubscribers ? [firstWithMedia, ...chunks.slice(1)] : [firstWithMedia]
}

export function upcomingList(ctx: LiveCtx, lives: readonly Live[]): Segment[] {
  if (lives.length === 0) return ctx.render(ctx.config.noLiveReply, {})
  const out: Segment[] = [...ctx.render(ctx.config.listTitle, {})]
  for (const l of lives) {
    out.push('\n', ...tidy(ctx.render(ctx.config.listLine, { id: l.id, title: l.title, start: ctx.time.format(l.start), link: l.link })))
  }
  return out
}

/**
 * An empty `{link}` or `{preview}` leaves double spaces and trailing blanks; drop those, but
 * keep indentation at line starts (product lists are often indented).
 */
export function tidy(segments: Segment[]): Segment[] {
  const out = segments.map((s) => (typeof s === 'string' ? s.replace(/(\S)[ \t]{2,}/g, '$1 ').replace(/[ \t]+\n/g, '\n') : s))
  const last = out[out.length - 1]
  if (typeof last === 'string') {
    const trimmed = last.trimEnd()
    if (trimmed === '') out.pop()
    else out[out.length - 1] = trimmed
  }
  return out
}

/** `1d`, `1h30m`, `10m`, `30s`: how the config writes an offset (summary, slot names). */
export function shortDuration(ms: number): string {
  let s = Math.round(ms / 1000)
  const parts: string[] = []
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    const n = Math.floor(s / size)
    if (n > 0) parts.push(`${n}${unit}`)
    s -= n * size
  }
  return parts.join('') || '0s'
}
