import { SKILLS } from '../../skills/index.js'
import { loadConfig } from '../config/loadConfig.js'
import { ConfigError, formatProblem } from '../config/problems.js'
import { summarize } from '../config/summary.js'
import { existsSync } from 'node:fs'
import { DEFAULT_CONFIG, parseCli } from './args.js'
import { usageError } from './usage.js'

export interface Output {
  write(s: string): unknown
}

/**
 * `siyu check` (also `npm run check`): 0 and a summary for a usable config, 1 and every problem as
 * `file:line:col: message` otherwise. Never a stack trace: whatever goes wrong reading a
 * config is reported as a problem of that file.
 */
export async function runCheck(argv: string[], out: Output, err: Output, now = Date.now()): Promise<number> {
  let args
  try {
    args = await parseCli(argv)
  } catch (e) {
    err.write(`${(e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? usageError('check', e) : `siyu check: ${(e as Error).message}`}\nusage: siyu check --config <file>\n`)
    return 1
  }
  try {
    const config = await loadConfig(args.config, SKILLS, now)
    for (const w of config.warnings) out.write(`${formatProblem(w)}\n`)
    out.write(`${summarize(config, SKILLS, now).join('\n')}\n`)
    return 0
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err.write(`${formatProblem(p)}\n`)
      err.write(`${e.errors.length} problem(s); the config was not accepted.\n`)
      if (args.config === DEFAULT_CONFIG && !existsSync(DEFAULT_CONFIG)) err.write('No config yet? `siyu init` writes one from a few answers.\n')
      return 1
    }
    err.write(`${args.config}:1:1: cannot check this config: ${(e as Error).message}\n`)
    return 1
  }
}
