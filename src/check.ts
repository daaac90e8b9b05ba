/**
 * `npm run check -- --config <file>`: validate a config without starting.
 * Exit 0 with a summary, or exit 1 with every problem as `file:line:col: message`.
 */
import { parseCli } from './cli/args.js'
import { summarize } from './config/summary.js'
import { loadConfig } from './config/loadConfig.js'
import { ConfigError, formatProblem } from './config/problems.js'
import { SKILLS } from '../skills/index.js'

let args
try {
  args = await parseCli(process.argv.slice(2))
} catch (err) {
  console.error(`${(err as Error).message}\nusage: npm run check -- --config <file>`)
  process.exit(1)
}
try {
  const config = await loadConfig(args.config, SKILLS)
  for (const w of config.warnings) console.log(formatProblem(w))
  console.log(summarize(config, SKILLS).join('\n'))
  process.exit(0)
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) console.error(formatProblem(p))
    console.error(`${err.errors.length} problem(s); the config was not accepted.`)
    process.exit(1)
  }
  console.error(`${args.config}:1:1: ${(err as Error).message}`)
  process.exit(1)
}
