/**
 * `npm run check -- --config <file>`: validate a config without starting.
 * Exit 0 with a summary, or exit 1 with every problem as `file:line:col: message`.
 */
import { runCheck } from './cli/runCheck.js'

process.exitCode = await runCheck(process.argv.slice(2), process.stdout, process.stderr)
