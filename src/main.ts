/**
 * `siyu start`, run from the TypeScript source (`node --import tsx src/main.ts --config …`):
 * what the tests and `npm run dev` start. The compiled `siyu` command (src/cli/siyu.ts) is
 * what `npm start`, systemd and Docker run.
 */
process.env.WECHATY_LOG ??= 'silent'

const { runCli } = await import('./cli/commands.js')
const code = await runCli(['start', ...process.argv.slice(2)])
if (code !== undefined) process.exitCode = code
export {}
