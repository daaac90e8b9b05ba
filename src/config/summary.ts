import { DateTime } from 'luxon'
import type { CalendarEntry, SchemaEnv, SkillConfigSpec } from './skillSpec.js'
import type { GroupConfig, LoadedConfig } from './loadConfig.js'

/** How far ahead the summary lists a group's posts and lives. */
export const CALENDAR_DAYS = 7

const WEEKDAYS = ['', '周一', '周二', '周三', '周四', '周五', '周六', '周日']

/** A group's posts and lives of the next 7 days, from every skill that has a calendar. */
function nextDays(g: GroupConfig, byName: ReadonlyMap<string, SkillConfigSpec<any>>, env: SchemaEnv): string[] {
  const entries: CalendarEntry[] = []
  let offered = false
  for (const [name, cfg] of g.skills) {
    const skill = byName.get(name)
    if (!skill?.calendar) continue
    offered = true
    entries.push(...skill.calendar(cfg, env, env.now, env.now + CALENDAR_DAYS * 86_400_000))
  }
  if (!offered) return []
  if (entries.length === 0) return [`    next ${CALENDAR_DAYS} days: nothing scheduled`]
  entries.sort((a, b) => a.at - b.at || a.id.localeCompare(b.id))
  return [
    `    next ${CALENDAR_DAYS} days:`,
    ...entries.map((e) => {
      const t = DateTime.fromMillis(e.at, { zone: env.timezone })
      return `      ${t.toFormat('yyyy-MM-dd')} ${WEEKDAYS[t.weekday]} ${t.toFormat('HH:mm')} ${e.kind} ${e.id}: ${e.title}${e.skipped ? ' (skipped)' : ''}`
    }),
  ]
}

/** The `npm run check` summary: groups, their skills, and what each skill has to say. */
export function summarize(config: LoadedConfig, skills: readonly SkillConfigSpec<any>[], now = Date.now()): string[] {
  const env = { timezone: config.bot.timezone, now }
  const byName = new Map(skills.map((s) => [s.name, s]))
  const lines = [
    `${config.file}: OK — ${config.groups.length} group(s), time zone ${config.bot.timezone}, ${config.bot.admins.length} admin(s), ` +
      (config.bot.rateLimit ? `at most ${config.bot.rateLimit.roomPerMinute}/min per room and ${config.bot.rateLimit.totalPerMinute}/min in all` : 'no rate limit'),
  ]
  for (const g of config.groups) {
    lines.push(`  group ${g.name}: ${[...g.skills.keys()].join(', ') || 'no skills'}`)
    if (config.accounts.length > 0) lines.push(`    served by: ${(g.accounts ?? config.accounts.map((x) => x.id)).join(' > ')}`)
    for (const [name, cfg] of g.skills) {
      for (const l of byName.get(name)?.summary?.(cfg, env) ?? []) lines.push(`    ${name}: ${l}`)
    }
    lines.push(...nextDays(g, byName, env))
  }
  const f = config.bot.friends
  if (f.accept !== 'none') lines.push(`  friend requests: accept ${f.accept === 'all' ? 'all' : `with ${f.keywords.join('/')}`}, at most ${f.perDay}/day${f.greeting ? ', greeted' : ''}`)
  for (const r of config.bot.tags) {
    const when = [r.when.streak !== undefined ? `streak ${r.when.streak}+` : '', r.when.points !== undefined ? `${r.when.points}+ points` : ''].filter(Boolean).join(' and ')
    lines.push(`  rule tag ${r.tag}: ${when}${r.when.pool ? ` in pool ${r.when.pool}` : ' in any pool'}`)
  }
  if (config.accounts.length > 0) lines.push(`  accounts: ${config.accounts.map((a) => `${a.id} (token from $${a.tokenEnv})`).join(', ')}; takeover after ${config.bot.takeoverSeconds ?? 45} s`)
  if (config.media.size > 0) {
    const kinds = { image: '图片', file: '文件', link: '链接卡片', miniProgram: '小程序' } as const
    const items = [...config.media].map(([name, m]) => `${name} (${kinds[m.kind]}${m.fallback ? ', fallback' : ''})`)
    const r = config.bot.rateLimit
    const perDay = r ? `; per account per day at most ${Object.entries(r.perDay).map(([k, n]) => `${n} ${k}`).join(', ')}` : ''
    lines.push(`  media: ${items.join(', ')}${perDay}`)
  }
  if (config.ai) lines.push(`  ai: ${config.ai.model}${config.ai.baseURL ? ` at ${config.ai.baseURL}` : ''} (key from $${config.ai.apiKeyEnv})`)
  return lines
}
