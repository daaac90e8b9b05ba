#!/usr/bin/env node
/**
 * The `siyu` command (package.json `bin`; `npm start` and the other npm scripts call it):
 * `siyu start|check|backup|restore|migrate|init`, see src/cli/commands.ts.
 */
// Wechaty's own logger (brolog) reads this once, at import: quiet unless asked for. Set before
// any command's code is loaded (they are imported dynamically, after this line).
process.env.WECHATY_LOG ??= 'silent'

const { runCli } = await import('./commands.js')
const code = await runCli(process.argv.slice(2))
// undefined: the command keeps running (start) and exits by itself
if (code !== undefined) process.exitCode = code
export {}
