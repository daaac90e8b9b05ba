import { RoomMatcher, TopicRegexError } from '../config/GroupMatcher.js'
import { TOPIC_REGEX } from '../config/schema.js'
import { ZonedTime } from '../time/ZonedTime.js'

/** What `siyu init` needs to write a config: asked on a terminal, or given as flags. */
export interface InitAnswers {
  brand: string
  /** In config order (first match wins); a name given twice is one group with two patterns. */
  groups: Array<{ name: string; topics: string[] }>
  admins: string[]
  skills: string[]
  timezone: string
  deploy: boolean
}

export const DEFAULT_SKILLS = ['welcome', 'checkin', 'points', 'live', 'autoreply']
export const DEFAULT_TIMEZONE = 'Asia/Shanghai'

/** An answer that cannot be used, said so that the operator knows what to type instead. */
export class AnswerError extends Error {}

export function checkBrand(raw: string): string {
  const brand = raw.trim()
  if (!brand) throw new AnswerError('the brand needs a name (it names the bot, 「<品牌>小助手」, and the shared point pool)')
  if ([...brand].length > 32) throw new AnswerError(`the brand's name is at most 32 characters; "${brand}" has ${[...brand].length}`)
  if (/[\r\n]/.test(brand)) throw new AnswerError('the brand\'s name is one line')
  return brand
}

/** The default group: rooms whose topic starts with the brand's name. */
export function defaultGroup(brand: string): string {
  return `fans=${brand}*`
}

/**
 * `name=pattern`: a group and one room-topic pattern, a glob (`希思黎粉丝*`, case-insensitive)
 * or `/regex/flags` (checked on the same linear-time engine the bot runs it on).
 */
export function checkGroup(raw: string): { name: string; topic: string } {
  const eq = raw.indexOf('=')
  if (eq < 0) throw new AnswerError(`"${raw}" is not name=pattern: write the group's name, "=", and the room topics it takes, e.g. fans=希思黎粉丝* or vip=/^VIP\\d+群$/`)
  const name = raw.slice(0, eq).trim()
  const topic = raw.slice(eq + 1).trim()
  if (!name) throw new AnswerError(`"${raw}" has no group name before "=" (e.g. fans=希思黎粉丝*)`)
  if ([...name].length > 64) throw new AnswerError(`group name "${name}" is longer than 64 characters (it keys the group's data)`)
  if (!topic) throw new AnswerError(`group "${name}" has no room-topic pattern after "=" (a glob like 希思黎粉丝*, or /regex/)`)
  if (topic.startsWith('/') && !TOPIC_REGEX.test(topic)) {
    throw new AnswerError(`"${topic}" starts like a /regex/ but does not end with "/" (and optional flags such as i): write /…/, or a glob without the leading /`)
  }
  try {
    RoomMatcher.compile({ topic: [topic] })
  } catch (err) {
    if (err instanceof TopicRegexError) throw new AnswerError(`group "${name}": ${err.message}`)
    throw err
  }
  return { name, topic }
}

/** Groups from `name=pattern` answers, in order; the same name again adds a pattern to it. */
export function groupsOf(specs: readonly string[]): InitAnswers['groups'] {
  const groups: InitAnswers['groups'] = []
  for (const spec of specs) {
    const { name, topic } = checkGroup(spec)
    const same = groups.find((g) => g.name === name)
    if (same) {
      if (!same.topics.includes(topic)) same.topics.push(topic)
    } else groups.push({ name, topics: [topic] })
  }
  return groups
}

/**
 * WeChat contact ids: `wxid_…` (accounts made since about 2014), an account's own WeChat ID
 * (微信号: 6–20 letters, digits, `_` or `-`, starting with a letter), or a puppet's id for
 * WeCom contacts (digits and letters with `@…`). What none of them has: spaces, Chinese, emoji
 * — what display names (昵称, 群昵称) have, and names can be copied by anyone.
 */
const CONTACT_ID = /^(wxid_[A-Za-z0-9_-]{2,}|[A-Za-z][A-Za-z0-9_-]{5,63}|[A-Za-z0-9_.-]{3,}@[A-Za-z0-9_.-]+)$/

export function checkAdmin(raw: string): string {
  const id = raw.trim()
  if (CONTACT_ID.test(id)) return id
  const why = /[^\x21-\x7e]/.test(id) ? 'has spaces, Chinese or other characters no contact id has: it looks like a display name' : 'is not shaped like a contact id'
  throw new AnswerError(
    `"${id}" ${why}. Admins are given by their WeChat contact id — wxid_… or the account's WeChat ID (6–20 letters, digits, _ or -) — never by a name, which anyone can copy. The bot's log names every member by id (LOG_LEVEL=debug), and the console's member lookup shows ids.`,
  )
}

/**
 * Admin ids: one per `--admin` flag (commas also separate), or separated by spaces or commas
 * as typed at the prompt. A flag's value is not split at spaces: "Alice Wang" is one (bad) id.
 */
export function adminsOf(list: readonly string[], typed = false): string[] {
  const ids = list
    .flatMap((l) => l.split(typed ? /[\s,，]+/ : /[,，]/))
    .map((id) => id.trim())
    .filter(Boolean)
    .map(checkAdmin)
  return [...new Set(ids)]
}

export function skillsOf(raw: string, known: ReadonlyArray<{ name: string }>): string[] {
  const names = raw.split(/[\s,，]+/).filter(Boolean)
  if (names.length === 0) throw new AnswerError(`name at least one skill: ${known.map((s) => s.name).join(', ')}`)
  const unknown = names.filter((n) => !known.some((s) => s.name === n))
  if (unknown.length > 0) throw new AnswerError(`unknown skill${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}; the skills are ${known.map((s) => s.name).join(', ')}`)
  // the registry's order, which is also the order they see messages in
  return known.map((s) => s.name).filter((n) => names.includes(n))
}

export function checkTimezone(raw: string): string {
  const zone = raw.trim()
  if (!ZonedTime.isValidZone(zone)) throw new AnswerError(`unknown time zone "${zone}"; use an IANA name like Asia/Shanghai, Asia/Hong_Kong or Europe/Paris`)
  return zone
}
