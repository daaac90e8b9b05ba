import { parseConfig } from '../../src/config/loadConfig.js'
import { ConfigError, formatProblem } from '../../src/config/problems.js'
import type { Skill } from '../../src/engine/Skill.js'

/** The errors a config text gets, as `bot.yaml:line:col: message` lines ([] when it loads). */
export function configErrors(yaml: string, skills: readonly Skill<any>[], now?: number): string[] {
  try {
    parseConfig('bot.yaml', yaml, skills, now)
  } catch (err) {
    if (err instanceof ConfigError) return err.errors.map(formatProblem)
    throw err
  }
  return []
}
