import type { SkillConfigSpec } from './skillSpec.js'
import type { LoadedConfig } from './loadConfig.js'

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
  }
  const f = config.bot.friends
  if (f.accept !== 'none') lines.push(`  friend requests: accept ${f.accept === 'all' ? 'all' : `with ${f.keywords.join('/')}`}, at most ${f.perDay}/day${f.greeting ? ', greeted' : ''}`)
  for (const r of config.bot.tags) {
    const when = [r.when.streak !== undefined ? `streak ${r.when.streak}+` : '', r.when.points !== undefined ? `${r.when.points}+ points` : ''].filter(Boolean).join(' and ')
    lines.push(`  rule tag ${r.tag}: ${when}${r.when.pool ? ` in pool ${r.when.pool}` : ' in any pool'}`)
  }
  if (config.accounts.length > 0) lines.push(`  accounts: ${config.accounts.map((a) => `${a.id} (token from $${a.tokenEnv})`).join(', ')}; takeover after ${config.bot.takeoverSeconds ?? 45} s`)
  if (config.ai) lines.push(`  ai: ${config.ai.model}${config.ai.baseURL ? ` at ${config.ai.baseURL}` : ''} (key from $${config.ai.apiKeyEnv})`)
  return lines
}
