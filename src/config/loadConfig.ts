import { readFile, stat } from 'node:fs/promises'
import { dirname } from 'node:path'
import { z } from 'zod'
import type { SchemaEnv, SkillConfigSpec } from './skillSpec.js'
import { RoomMatcher, TopicRegexError } from './GroupMatcher.js'
import { deepMerge, isPlainObject } from './merge.js'
import { ConfigError, withSlips, type Problem } from './problems.js'
import { AccountSchema, type AccountSettings } from './accountsSchema.js'
import { AiSchema, BotSchema, ConsoleSchema, DefaultsSchema, GroupSchema, TopLevelKeys, type AiSettings, type BotSettings, type ConsoleSettings } from './schema.js'
import { decodeText, TextFileError } from '../text/decodeText.js'
import { YamlSource, type Path } from './YamlSource.js'
import { flattenIssues, suggest, type FlatIssue } from './zodIssues.js'
import { MediaSectionSchema, type MediaSection } from './mediaSchema.js'
import { mediaRefsIn } from './mediaRefs.js'
import { checkMediaFiles, type MediaFetch } from './checkMedia.js'

export interface GroupConfig {
  name: string
  /** Position in `groups` (first match wins). */
  index: number
  matcher: RoomMatcher
  /** Enabled skills and their validated config, in the registry's (routing) order. */
  skills: Map<string, unknown>
  /** Which accounts may serve its rooms, in order of preference (absent: all, in `accounts:` order). */
  accounts?: string[]
}

/** One account of `accounts:`, with where it is written (start-time errors point there). */
export interface AccountConfig extends AccountSettings {
  /** Where its `tokenEnv` is written (for "the variable is not set" at start). */
  where: { file: string; line: number; col: number }
}

export interface LoadedConfig {
  file: string
  bot: BotSettings
  ai: AiSettings | undefined
  groups: GroupConfig[]
  /** `accounts:` (empty: one account from the WECHATY_* variables, as before). */
  accounts: AccountConfig[]
  /** The console section (read at start; a reload does not move the server). */
  console: ConsoleSettings
  /** `media:` by name (CONTRACT §10); files are relative to `baseDir`. */
  media: MediaSection
  /** The config file's folder: media files are written relative to it. */
  baseDir: string
  warnings: Problem[]
  /** A problem at a place in the config file (checks made after loading, e.g. at start). */
  problemAt?: (path: Path, message: string, severity?: Problem['severity']) => Problem
}

/** A config bigger than this is refused before parsing (a pasted log, a wrong file). */
export const MAX_CONFIG_BYTES = 2 * 1024 * 1024

/**
 * Read, parse and validate a config. Throws ConfigError with every problem found (not just
 * the first), each at its file:line:col. Warnings ride along on the result.
 */
export async function loadConfig(file: string, skills: readonly SkillConfigSpec<any>[], now = Date.now(), options: LoadOptions = {}): Promise<LoadedConfig> {
  let text: string
  try {
    const info = await stat(file)
    if (info.size > MAX_CONFIG_BYTES) {
      throw new ConfigError([problem(file, `config is ${info.size} bytes; the limit is ${MAX_CONFIG_BYTES} (is this the right file?)`)])
    }
    // a config saved as UTF-16 or GB18030 by a Windows editor is read as it was typed, or refused at its line
    text = decodeText(await readFile(file), file).text
  } catch (err) {
    if (err instanceof ConfigError) throw err
    if (err instanceof TextFileError) throw new ConfigError([{ ...problem(file, err.detail), line: err.line ?? 1 }])
    throw new ConfigError([problem(file, `cannot read the config: ${(err as Error).message}`)])
  }
  // media files are looked at (read, typed by content, fetched) even when the rest has errors:
  // every problem in one run
  let config: LoadedConfig
  try {
    config = parseConfig(file, text, skills, now)
  } catch (err) {
    if (!(err instanceof ConfigError) || options.media === false) throw err
    const section = mediaSectionOf(file, text)
    if (!section) throw err
    const more = await checkMediaFiles(section.media, dirname(file), section.at, options.fetch)
    throw new ConfigError([...err.problems, ...more].sort((a, b) => a.line - b.line || a.col - b.col))
  }
  if (options.media === false) return config
  const more = await checkMediaFiles(config.media, config.baseDir, (path, message, severity) => config.problemAt!(path, message, severity), options.fetch)
  if (more.some((p) => p.severity === 'error')) throw new ConfigError([...config.warnings, ...more].sort((a, b) => a.line - b.line || a.col - b.col))
  return { ...config, warnings: [...config.warnings, ...more] }
}

export interface LoadOptions {
  /** false: do not read or fetch media files (a reload checks them; tests of other things). */
  media?: false
  /** How https media are fetched (tests); default: fetch() with a timeout. */
  fetch?: MediaFetch
}

/** The `media:` section alone, with a way to place problems (when the rest of the config has errors). */
function mediaSectionOf(file: string, text: string): { media: MediaSection; at: (path: Path, message: string, severity?: Problem['severity']) => Problem } | undefined {
  const src = new YamlSource(file, text)
  let raw: unknown
  try {
    raw = src.doc.toJS({ maxAliasCount: 100 })
  } catch {
    return undefined
  }
  const r = MediaSectionSchema.safeParse(isPlainObject(raw) ? raw.media : undefined)
  if (!r.success || r.data.size === 0) return undefined
  return { media: r.data, at: (path, message, severity) => placed(src, path, message, severity) }
}

function placed(src: YamlSource, path: Path, message: string, severity: Problem['severity'] = 'error'): Problem {
  const found = src.offsetOf(path)
  return src.problemAt(found.offset >= 0 ? found.offset : 0, message, severity)
}

export function parseConfig(file: string, text: string, skills: readonly SkillConfigSpec<any>[], now = Date.now()): LoadedConfig {
  const src = new YamlSource(file, text)
  // IME slips (a full-width colon, comma, space…) ride along with every way out below
  const slips = src.imeSlips()
  const fail = (ps: Problem[]): ConfigError => new ConfigError(withSlips(ps, slips))
  const syntax = src.syntaxProblems()
  if (syntax.some((p) => p.severity === 'error')) throw fail(syntax)

  const problems: Problem[] = [...syntax]
  const at = (issue: FlatIssue, candidates: Path[], severity: Problem['severity'] = 'error'): void => {
    const found = candidates.map((c) => src.offsetOf(c, { key: issue.atKey, find: issue.find }))
    const best = found.find((f) => f.exact) ?? found.find((f) => f.offset >= 0) ?? { offset: 0 }
    problems.push(src.problemAt(best.offset, issue.message, severity))
  }

  let raw: unknown
  try {
    raw = src.doc.toJS({ maxAliasCount: 100 }) ?? {}
  } catch (err) {
    throw fail([src.problemAt(0, `YAML: ${(err as Error).message}`)])
  }
  if (!isPlainObject(raw)) throw fail([src.problemAt(0, 'the config must be a map with bot, groups, ...')])

  // Each section is checked on its own, so one bad section does not hide the others' problems.
  const section = <S extends z.ZodType>(schema: S, value: unknown, path: Path): z.output<S> | undefined => {
    const r = schema.safeParse(value)
    if (r.success) return r.data
    for (const issue of flattenIssues(r.error.issues, schema)) at({ ...issue, path: [...path, ...issue.path] }, [[...path, ...issue.path]])
    return undefined
  }
  const rawObj = raw as Record<string, unknown>
  section(TopLevelKeys, Object.fromEntries(Object.keys(rawObj).map((k) => [k, true])), [])
  const bot = section(BotSchema, rawObj.bot, ['bot'])
  const ai = section(AiSchema, rawObj.ai, ['ai'])
  const consoleSection = section(ConsoleSchema, rawObj.console, ['console'])
  const defaultsSection = section(DefaultsSchema, rawObj.defaults, ['defaults'])
  const rawGroups = section(z.array(z.unknown(), { error: 'groups is a list of groups' }).default([]), rawObj.groups, ['groups']) ?? []
  const parsedGroups = rawGroups.map((g, gi) => section(GroupSchema, g, ['groups', gi]))
  // each account on its own, like groups, so one bad entry does not hide the others' problems
  const rawAccounts = section(z.array(z.unknown(), { error: 'accounts is a list of { id, tokenEnv, endpointEnv? }' }).optional(), rawObj.accounts, ['accounts'])
  const parsedAccounts = (rawAccounts ?? []).map((a, i) => section(AccountSchema, a, ['accounts', i]))
  const rawIds = (rawAccounts ?? []).map((a) => (isPlainObject(a) && typeof a.id === 'string' ? a.id : undefined))
  rawIds.forEach((id, i) => {
    const first = rawIds.indexOf(id)
    if (id !== undefined && first < i) at({ path: ['accounts', i, 'id'], message: `account id "${id}" is already used by account ${first + 1}; ids must be unique` }, [['accounts', i, 'id']])
  })
  const declaredIds = rawIds.filter((id) => id !== undefined)
  const accounts = accountsOf(parsedAccounts, src)
  const media = section(MediaSectionSchema, rawObj.media, ['media']) ?? new Map()
  // every { media: <name> } in a reply names an item of media: (reported where it is written)
  const mediaNames = isPlainObject(rawObj.media) ? Object.keys(rawObj.media) : []
  for (const [where, value] of [['bot'], ['defaults'], ['groups']].map((p) => [p, rawObj[p[0]!]] as const)) {
    for (const ref of mediaRefsIn(value, where)) {
      if (mediaNames.includes(ref.name)) continue
      const near = suggest(ref.name, mediaNames)
      const known = near.startsWith(' (') ? near : mediaNames.length > 0 ? `; media: defines ${mediaNames.join(', ')}` : '; there is no top-level media: section'
      at({ path: [...ref.path], message: `unknown media "${ref.name}"${known}` }, [[...ref.path]])
    }
  }
  const cfg = {
    bot: bot ?? BotSchema.parse(undefined),
    ai,
    defaults: defaultsSection ?? { skills: {} },
    groups: parsedGroups,
  }
  const env: SchemaEnv = { timezone: cfg.bot.timezone, now }
  const byName = new Map(skills.map((s) => [s.name, s]))
  const defaults = cfg.defaults.skills

  // unknown skills in defaults are reported once, there
  for (const name of Object.keys(defaults)) {
    if (!byName.has(name)) {
      at({ path: ['defaults', 'skills', name], atKey: true, message: `unknown skill "${name}"${suggest(name, [...byName.keys()])}` }, [['defaults', 'skills', name]])
    }
  }

  const groups: GroupConfig[] = []
  const seen = new Map<string, number>()
  cfg.groups.forEach((g, gi) => {
    if (!g) return
    const gpath = ['groups', gi]
    if (seen.has(g.name)) {
      at({ path: [...gpath, 'name'], message: `group name "${g.name}" is already used by group ${seen.get(g.name)! + 1}; names must be unique` }, [[...gpath, 'name']])
    }
    seen.set(g.name, gi)

    let matcher: RoomMatcher | undefined
    try {
      matcher = RoomMatcher.compile(g.match)
    } catch (err) {
      if (!(err instanceof TopicRegexError)) throw err
      const topicPath = Array.isArray((raw as any).groups?.[gi]?.match?.topic) ? [...gpath, 'match', 'topic', err.index] : [...gpath, 'match', 'topic']
      at({ path: topicPath, message: err.message }, [topicPath])
    }

    const merged = deepMerge(defaults, g.skills) as Record<string, unknown>
    const enabled = new Map<string, unknown>()
    for (const [name, value] of Object.entries(merged)) {
      const skill = byName.get(name)
      if (!skill) {
        if (name in g.skills) {
          at({ path: [...gpath, 'skills', name], atKey: true, message: `unknown skill "${name}"${suggest(name, [...byName.keys()])}` }, [[...gpath, 'skills', name]])
        }
        continue
      }
      if (value === false) continue
      const input = value === true || value === null ? {} : value
      const candidates = (p: Path): Path[] => [
        [...gpath, 'skills', name, ...p],
        ['defaults', 'skills', name, ...p],
      ]
      const schema = typeof skill.config === 'function' ? skill.config(env) : skill.config
      const parsed = (schema as z.ZodType).safeParse(input)
      if (!parsed.success) {
        for (const issue of flattenIssues(parsed.error.issues, schema)) at(issue, candidates(issue.path))
        continue
      }
      skill.check?.(
        parsed.data,
        {
          error: (p, message) => at({ path: [...p], message }, candidates(p)),
          warn: (p, message) => at({ path: [...p], message }, candidates(p), 'warning'),
        },
        env,
      )
      enabled.set(name, parsed.data)
    }
    // routing order is the registry's, not the YAML's
    const ordered = new Map([...skills].filter((s) => enabled.has(s.name)).map((s) => [s.name, enabled.get(s.name)]))
    if (g.accounts) checkGroupAccounts(g.accounts, declaredIds, (message, i) => at({ path: [...gpath, 'accounts', i], message }, [[...gpath, 'accounts', i], [...gpath, 'accounts']]))
    if (matcher) groups.push({ name: g.name, index: gi, matcher, skills: ordered, ...(g.accounts ? { accounts: g.accounts } : {}) })
  })

  if (cfg.groups.length === 0) {
    at({ path: ['groups'], message: 'no groups: the bot stays silent in every room (add one under groups:)' }, [['groups']], 'warning')
  }
  if (bot && cfg.bot.admins.length === 0 && cfg.groups.length > 0) {
    at({ path: ['bot', 'admins'], message: 'no admins: nobody can run #reload, #stats or #live (list contact ids in bot.admins)' }, [['bot', 'admins'], ['bot']], 'warning')
  }
  const usesAi = groups.some((g) => isPlainObject(g.skills.get('autoreply')) && (g.skills.get('autoreply') as { ai?: unknown }).ai)
  if (usesAi && !cfg.ai) {
    at({ path: ['ai'], message: 'a group uses autoreply.ai but there is no top-level ai section: questions will get the fallbackReply' }, [['groups']], 'warning')
  }

  const all = withSlips(problems, slips)
  if (all.some((p) => p.severity === 'error')) throw new ConfigError(all)
  const problemAt = (path: Path, message: string, severity: Problem['severity'] = 'error'): Problem => placed(src, path, message, severity)
  return { file, bot: cfg.bot, ai: cfg.ai, groups, accounts, console: consoleSection ?? ConsoleSchema.parse(undefined), media, baseDir: dirname(file), warnings: all, problemAt }
}

/** The valid accounts, each remembering where its tokenEnv is written. */
function accountsOf(list: Array<AccountSettings | undefined>, src: YamlSource): AccountConfig[] {
  return list.flatMap((a, i) => {
    if (!a) return []
    const p = src.problemAt(Math.max(0, src.offsetOf(['accounts', i, 'tokenEnv']).offset), '')
    return [{ ...a, where: { file: p.file, line: p.line, col: p.col } }]
  })
}

/** A group's accounts must be declared under `accounts:`, once each. */
function checkGroupAccounts(ids: string[], declared: string[], error: (message: string, index: number) => void): void {
  const known = [...new Set(declared)]
  ids.forEach((id, i) => {
    if (known.length === 0) error(`a group lists accounts but there is no top-level accounts: list (declare ${id} there)`, i)
    else if (!known.includes(id)) {
      const near = suggest(id, known)
      error(`unknown account "${id}"${near.startsWith(' (') ? near : ''}; accounts: declares ${known.join(', ')}`, i)
    }
    else if (ids.indexOf(id) !== i) error(`account "${id}" is listed twice in this group`, i)
  })
}

function problem(file: string, message: string): Problem {
  return { file, line: 1, col: 1, message, severity: 'error' }
}
