import type { Skill } from '../engine/Skill.js'
import type { LoadedConfig } from './loadConfig.js'

/** The `npm run check` summary: groups, their skills, and what each skill has to say. */
export function summarize(config: LoadedConfig, skills: readonly Skill<any>[], now = Date.now()): string[] {
  const env = { timezone: config.bot.timezone, now }
  const byName = new Map(skills.map((s) => [s.name, s]))
  const lines = [
    `${config.file}: OK — ${config.groups.length} group(s), time zone ${config.bot.timezone}, ${config.bot.admins.length} admin(s), ` +
      (config.bot.rateLimit ? `at most ${config.bot.rateLimit.roomPerMinute}/min per room and ${config.bot.rateLimit.totalPerMinute}/min in all` : 'no rate limit'),
  ]
  for (const g of config.groups) {
    lines.push(`  group ${g.name}: ${[...g.skills.keys()].join(', ') || 'no skills'}`)
    for (const [name, cfg] of g.skills) {
      for (const l of byName.get(name)?.summary?.(cfg, env) ?? []) lines.push(`    ${name}: ${l}`)
    }
  }
  if (config.ai) lines.push(`  ai: ${config.ai.model}${config.ai.baseURL ? ` at ${config.ai.baseURL}` : ''} (key from $${config.ai.apiKeyEnv})`)
  return lines
}
