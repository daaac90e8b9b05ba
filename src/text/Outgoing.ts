/**
 * A piece of what the bot says: plain text, a real @mention of a contact, or — in a reply the
 * config gives as a list (src/config/reply.ts) — a media item of `media:` or the start of the
 * reply's next message. The send path (SkillContext.sayIn) cuts a reply at those into
 * separate messages, in order: a media item is always a message of its own.
 */
export type Segment = string | Mention | MediaMark | MessageBreak

export interface Mention {
  mention: string
  name: string
}

/** A media item (`{ media: <name> }` in the config): sent as its own message. */
export interface MediaMark {
  media: string
}

/** Where the next item of a reply list starts: the texts on either side are separate messages. */
export interface MessageBreak {
  break: true
}

export function isMention(s: Segment): s is Mention {
  return typeof s === 'object' && 'mention' in s
}

export function isMediaMark(s: Segment): s is MediaMark {
  return typeof s === 'object' && 'media' in s
}

/** One message of a reply: a text (with mentions), or a media item. */
export type OutgoingMessage = { text: Array<string | Mention> } | { media: string }

/**
 * Cut a reply into its messages, in order: at every media item and message break. Empty
 * texts (a list item that rendered to nothing, whitespace between items) are left out.
 */
export function toMessages(segments: readonly Segment[]): OutgoingMessage[] {
  const out: OutgoingMessage[] = []
  let cur: Array<string | Mention> = []
  const flush = (): void => {
    if (cur.some((s) => typeof s !== 'string' || s.trim() !== '')) out.push({ text: cur })
    cur = []
  }
  for (const seg of segments) {
    if (typeof seg === 'string' || isMention(seg)) cur.push(seg)
    else if (isMediaMark(seg)) {
      flush()
      out.push({ media: seg.media })
    } else flush()
  }
  flush()
  return out
}

/** Does this reply carry media items or several messages? (Most are one plain text.) */
export function isMultipart(segments: readonly Segment[]): boolean {
  return segments.some((s) => typeof s === 'object' && !isMention(s))
}

/** Something a skill says: plain text or text with mentions. */
export type Sayable = string | readonly Segment[]

/**
 * WeChat caps a text message; longer ones are cut by the client or refused. 2,000
 * characters keeps a margin under the limits reported for the PC and pad protocols.
 */
export const MAX_TEXT_LENGTH = 2000

/** WeChat ends an @mention with U+2005 (four-per-em space); clients render it as a gap. */
export const MENTION_END = '\u2005'

export function toSegments(s: Sayable): Segment[] {
  return typeof s === 'string' ? [s] : [...s]
}

/** The wire form: text with `@name` for each mention, and the mentioned contact ids. */
export function renderOutgoing(segments: readonly Segment[]): { text: string; mentionIds: string[] } {
  let text = ''
  const mentionIds: string[] = []
  segments.forEach((seg, i) => {
    if (typeof seg === 'string') {
      text += seg
      return
    }
    // a reply is cut into messages before it is rendered; a stray cut is a line break
    if (!isMention(seg)) {
      text += '\n'
      return
    }
    // a mention ends with U+2005, unless a space follows anyway ("欢迎 {names} 加入")
    const next = segments[i + 1]
    text += typeof next === 'string' && /^\s/.test(next) ? `@${seg.name}` : `@${seg.name}${MENTION_END}`
    if (!mentionIds.includes(seg.mention)) mentionIds.push(seg.mention)
  })
  return { text, mentionIds }
}

export function textLength(segments: readonly Segment[]): number {
  let n = 0
  for (const seg of segments) n += typeof seg === 'string' ? [...seg].length : isMention(seg) ? [...seg.name].length + 2 : 0
  return n
}

/**
 * Cut segments into messages of at most `max` characters, at line ends where possible,
 * never inside a mention. Used for long model answers and mention lists.
 */
export function splitSegments(segments: readonly Segment[], max = MAX_TEXT_LENGTH): Segment[][] {
  const out: Segment[][] = []
  let cur: Segment[] = []
  let len = 0
  const push = (seg: Segment, n: number): void => {
    if (len + n > max && cur.length > 0) {
      out.push(trimEnd(cur))
      cur = []
      len = 0
    }
    cur.push(seg)
    len += n
  }
  for (const seg of segments) {
    if (typeof seg !== 'string') {
      push(seg, isMention(seg) ? [...seg.name].length + 2 : 0)
      continue
    }
    // split plain text into lines, and over-long lines into chunks
    const lines = seg.split(/(?<=\n)/)
    for (const line of lines) {
      const chars = [...line]
      for (let i = 0; i < chars.length; i += max) {
        const piece = chars.slice(i, i + max).join('')
        push(piece, [...piece].length)
      }
    }
  }
  if (cur.length > 0) out.push(trimEnd(cur))
  return out.filter((m) => m.length > 0)
}

function trimEnd(segs: Segment[]): Segment[] {
  const last = segs[segs.length - 1]
  if (typeof last === 'string') {
    const t = last.replace(/\n+$/, '')
    return t === '' ? segs.slice(0, -1) : [...segs.slice(0, -1), t]
  }
  return segs
}

/** Trim a plain text to `max` characters, ending with an ellipsis when cut. */
export function clip(text: string, max = MAX_TEXT_LENGTH): string {
  const chars = [...text]
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…'
}
