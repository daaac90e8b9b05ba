import { DateTime } from 'luxon'

/** What `#接龙 …` asks for, or why it cannot be opened (said to the admin as a usage line). */
export type OpenRequest =
  | { ok: true; title: string; limit?: number; deadline?: number }
  | { ok: false; problem: string }

const LIMIT = /限\s*(\d+)\s*人?/u
const DEADLINE = /截止\s*(.+)$/u

/**
 * `<title> [限<N>人] [截止 <when>]` (the words after `#接龙`). The limit may stand anywhere;
 * the deadline runs to the end. `when`: `20:00` (today), `明天 20:00`, `11-28 20:00`,
 * `11月28日 20:00` or `2026-11-28 20:00`, in the bot's time zone; a time already past is an
 * error, never silently tomorrow (the admin meant today).
 */
export function parseOpen(rest: string, now: number, zone: string): OpenRequest {
  let text = rest.trim()
  let limit: number | undefined
  let deadline: number | undefined
  const l = LIMIT.exec(text)
  if (l) {
    limit = Number(l[1])
    if (!Number.isSafeInteger(limit) || limit < 1) return { ok: false, problem: `人数上限要大于 0（写成「限20人」），收到「${l[0]}」` }
    if (limit > 10_000) return { ok: false, problem: '人数上限最多 10000' }
    text = (text.slice(0, l.index) + ' ' + text.slice(l.index + l[0].length)).trim()
  }
  const d = DEADLINE.exec(text)
  if (d) {
    const when = parseWhen(d[1]!.trim(), now, zone)
    if (when === undefined) return { ok: false, problem: `截止时间看不懂：「${d[1]!.trim()}」（写成「截止 20:00」「截止 明天 20:00」或「截止 2026-11-28 20:00」）` }
    if (when <= now) return { ok: false, problem: `截止时间 ${DateTime.fromMillis(when, { zone }).toFormat('M月d日 HH:mm')} 已经过了` }
    deadline = when
    text = text.slice(0, d.index).trim()
  }
  const title = text.replace(/\s+/gu, ' ').trim()
  if (title === '') return { ok: false, problem: '接龙要有标题' }
  if ([...title].length > 60) return { ok: false, problem: '标题最多 60 个字' }
  return { ok: true, title, limit, deadline }
}

/** A deadline as typed, in the bot's time zone; undefined when it is no time. */
export function parseWhen(text: string, now: number, zone: string): number | undefined {
  const s = text.replace(/：/gu, ':').replace(/\s+/gu, ' ').trim()
  const today = DateTime.fromMillis(now, { zone })
  const at = (day: DateTime, hm: string): number | undefined => {
    const m = /^(\d{1,2}):(\d{2})$/.exec(hm)
    if (!m) return undefined
    const hour = Number(m[1])
    const minute = Number(m[2])
    if (hour > 23 || minute > 59) return undefined
    const t = day.set({ hour, minute, second: 0, millisecond: 0 })
    return t.isValid ? t.toMillis() : undefined
  }
  let m: RegExpExecArray | null
  if ((m = /^(\d{1,2}:\d{2})$/.exec(s))) return at(today, m[1]!)
  if ((m = /^(今天|明天|后天) ?(\d{1,2}:\d{2})$/u.exec(s))) return at(today.plus({ days: ['今天', '明天', '后天'].indexOf(m[1]!) }), m[2]!)
  if ((m = /^(\d{4})-(\d{1,2})-(\d{1,2}) (\d{1,2}:\d{2})$/.exec(s))) return dated(Number(m[1]), Number(m[2]), Number(m[3]), m[4]!)
  if ((m = /^(\d{1,2})(?:-|月)(\d{1,2})日? ?(\d{1,2}:\d{2})$/u.exec(s))) return dated(today.year, Number(m[1]), Number(m[2]), m[3]!)
  return undefined

  function dated(year: number, month: number, day: number, hm: string): number | undefined {
    const d = DateTime.fromObject({ year, month, day }, { zone })
    return d.isValid ? at(d, hm) : undefined
  }
}

/** A join as typed: `接龙`, `+1`, `接龙 <note>` (the trigger, then an optional note). */
export function parseJoin(text: string, triggers: readonly string[]): { note: string } | undefined {
  for (const t of triggers) {
    if (text === t) return { note: '' }
    if (text.startsWith(t) && /^\s/u.test(text.slice(t.length))) return { note: text.slice(t.length).trim() }
  }
  return undefined
}

/** A line of WeChat's own 接龙 list: `1. 张三 2份` (also `1、`, `1．`, `1)`). */
const NUMBERED = /^\s*(\d{1,4})\s*[.、．)）]\s*(.*)$/u

/**
 * A repost of WeChat's own 接龙 (the text the client sends when a member adds a line):
 * `#接龙`, a title and maybe an example line, then numbered lines. The SENDER joins once; their
 * note is what follows their name on their line — the line starting with their display name,
 * else the last numbered line (the client appends the sender's line last), which is taken
 * whole. Undefined when the text is no such list.
 */
export function parseRepost(text: string, senderName: string): { title: string; note: string } | undefined {
  if (!text.startsWith('#接龙')) return undefined
  const lines = text.split(/\r?\n/u)
  const numbered: string[] = []
  let title = lines[0]!.slice('#接龙'.length).trim()
  for (const line of lines.slice(1)) {
    const m = NUMBERED.exec(line)
    if (m) numbered.push(m[2]!.trim())
    else if (title === '' && line.trim() !== '' && numbered.length === 0) title = line.trim()
  }
  if (numbered.length === 0) return undefined
  const mine = senderName ? numbered.find((l) => l === senderName || l.startsWith(senderName + ' ') || l.startsWith(senderName + '\u2005')) : undefined
  const note = mine !== undefined ? mine.slice(senderName.length).trim() : numbered[numbered.length - 1]!
  return { title, note }
}
