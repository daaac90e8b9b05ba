/**
 * `siyu check`, run from the TypeScript source (`node --import tsx src/check.ts --config …`).
 * Exit 0 with a summary, or exit 1 with every problem as `file:line:col: message`.
 */
const { runCli } = await import('./cli/commands.js')
process.exitCode = (await runCli(['check', ...process.argv.slice(2)])) ?? 0
export {}
