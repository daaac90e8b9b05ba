import { LinkifyIt } from 'linkify-it'
import type { IncomingText, MessageKind } from '../../src/engine/Skill.js'
import type { GuardConfig, RuleName } from './config.js'

/**
 * Links in text are found by linkify-it (markdown-it's link finder: schemes, `www.`, bare
 * domains on known TLDs, unicode domains), not a hand-made URL regex. Beyond its default
 * TLDs (com, net, org, … and every two-letter country code such as cn), the generic ones
 * Chinese ads use. Version numbers (1.2.3) and e-mail addresses are not links.
 */
const linkify = new LinkifyIt({ fuzzyLink: true, fuzzyEmail: false }).tlds(
  ['top', 'xyz', 'vip', 'club', 'site', 'online', 'icu', 'fun', 'live', 'ltd', 'wang', 'ink', 'link', 'work', 'store', 'tech', 'app', 'cloud', 'today', 'shop'],
  true,
)

/** Every link linkify-it finds has a dot (a domain) or a `:` or `/` (a scheme): most chat has none. */
const MAY_LINK = /[.:/]/

export function hasLink(text: string): boolean {
  return MAY_LINK.test(text) && linkify.test(text)
}

/** What a message broke, with the evidence shown to admins. */
export interface Violation {
  rule: RuleName
  /** What was posted: the text, or what the card shows (first 200 characters). */
  evidence: string
  /** The message type (`Text`, `Url`, `MiniProgram`, `Contact`, ...). */
  type: string
}

/** What a message shows: the text, or a card's title, description, link and contact. */
export function shownText(m: IncomingText): string {
  const c = m.card
  if (!c) return m.text
  return [m.text, c.title, c.description, c.url, c.contactName, c.contactId].filter((s) => s !== undefined && s !== '').join(' ')
}

export function messageType(m: IncomingText): string {
  return m.card?.type ?? 'Text'
}

export const EVIDENCE_CHARS = 200

export function evidenceOf(m: IncomingText, note = ''): string {
  const shown = [...shownText(m)].slice(0, EVIDENCE_CHARS).join('')
  return note ? `${shown}${note}` : shown
}

/** Words lowercased once per config (checked against the lowercased text). */
const lowered = new WeakMap<readonly string[], string[]>()
function lowerWords(words: readonly string[]): string[] {
  let out = lowered.get(words)
  if (!out) lowered.set(words, (out = words.map((w) => w.toLowerCase())))
  return out
}

/**
 * What the message itself breaks (kind, links, words, regex), or undefined. Cards are
 * blocked by kind; their title and description are also read for words and regexes, and a
 * text's links by linkify-it.
 */
export function contentViolation(block: GuardConfig['block'], m: IncomingText): RuleName | undefined {
  const kind: MessageKind = m.kind ?? 'text'
  if (kind === 'url' && block.links) return 'links'
  if (kind === 'miniProgram' && block.miniPrograms) return 'miniPrograms'
  if (kind === 'contact' && block.contactCards) return 'contactCards'
  // a card's link is its kind's business (a mini-program's page path is no web link)
  const text = m.card ? [m.text, m.card.title, m.card.description].filter(Boolean).join('\n') : m.text
  if (text === '') return undefined
  if (block.links && (kind === 'text' || kind === 'groupNote' || kind === 'other') && hasLink(text)) return 'links'
  if (block.words.length > 0) {
    const lower = text.toLowerCase()
    for (const w of lowerWords(block.words)) if (lower.includes(w)) return 'words'
  }
  if (block.regexAny?.test(text)) return 'regex'
  return undefined
}

/**
 * The sliding windows of one group, in memory (guard's `memory`): messages per member for
 * `flood` (seconds), and per member and text for `repeat` (minutes). A restart forgets them,
 * which costs at most one window of history; strikes, the blacklist and removals are durable.
 * Entries older than their window are swept once a minute, so the maps hold only members who
 * spoke recently.
 */
export class Windows {
  private readonly flood = new Map<string, number[]>()
  private readonly repeat = new Map<string, number[]>()
  private sweptAt = 0

  /**
   * Record a message; returns `flood` or `repeat` when it makes one (the member's window is
   * then emptied: one flood is one strike, not one per message beyond the limit). A text some
   * skill takes as a request (`counts.repeat` false) counts for the flood, not as a repeat.
   */
  note(c: GuardConfig, contactId: string, m: IncomingText, now: number, counts = { repeat: true }): { rule: 'flood' | 'repeat'; count: number } | undefined {
    this.maybeSweep(c, now)
    const { flood, repeat } = c.block
    let made: { rule: 'flood' | 'repeat'; count: number } | undefined
    if (flood) {
      const times = keep(this.flood.get(contactId), now - flood.seconds * 1000)
      times.push(now)
      if (times.length > flood.messages) {
        this.flood.delete(contactId)
        made = { rule: 'flood', count: times.length }
      } else this.flood.set(contactId, times)
    }
    // (a text shorter than minChars in UTF-16 units is shorter in characters too: no work)
    if (repeat && counts.repeat && (m.kind ?? 'text') === 'text' && m.text.length >= repeat.minChars) {
      const norm = normalize(m.text)
      if ([...norm].length >= repeat.minChars) {
        const key = `${contactId}\n${norm}`
        const times = keep(this.repeat.get(key), now - repeat.minutes * 60_000)
        times.push(now)
        if (times.length >= repeat.times) {
          this.repeat.delete(key)
          // one message, one strike: the repeat names it better than the flood
          made = { rule: 'repeat', count: times.length }
        } else this.repeat.set(key, times)
      }
    }
    return made
  }

  /** Forget a member's windows (a strike of another kind, a removal, a pardon). */
  forget(contactId: string): void {
    this.flood.delete(contactId)
    for (const key of this.repeat.keys()) if (key.startsWith(`${contactId}\n`)) this.repeat.delete(key)
  }

  get size(): number {
    return this.flood.size + this.repeat.size
  }

  private maybeSweep(c: GuardConfig, now: number): void {
    if (now - this.sweptAt < 60_000) return
    this.sweptAt = now
    const floodFrom = now - (c.block.flood ? c.block.flood.seconds * 1000 : 0)
    const repeatFrom = now - (c.block.repeat ? c.block.repeat.minutes * 60_000 : 0)
    for (const [k, t] of this.flood) if ((t[t.length - 1] ?? 0) <= floodFrom) this.flood.delete(k)
    for (const [k, t] of this.repeat) if ((t[t.length - 1] ?? 0) <= repeatFrom) this.repeat.delete(k)
  }
}

function keep(times: number[] | undefined, from: number): number[] {
  if (!times) return []
  let i = 0
  while (i < times.length && times[i]! <= from) i++
  return i === 0 ? times : times.slice(i)
}

/** The same text: any case, any spacing. */
function normalize(text: string): string {
  return text.toLowerCase().replace(/\s+/g, ' ').trim()
}
