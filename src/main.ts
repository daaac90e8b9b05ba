/**
 * `npm start [-- --config <file>] [-- --data <dir>]`: run the bot.
 * Exit codes: 0 stopped by a signal, 1 unexpected failure, 2 bad config, 3 unusable data dir.
 */
// Wechaty's own logger (brolog) reads this once, at import: quiet unless asked for
process.env.WECHATY_LOG ??= 'silent'

const { parseCli } = await import('./cli/args.js')
const { createLogger } = await import('./log/logger.js')
const { ConfigError, formatProblem } = await import('./config/problems.js')
const { StoreCorruptError, StoreLockedError } = await import('./store/StorageAdapter.js')
const { choosePuppet } = await import('./runtime/puppetChoice.js')

const sandboxed = choosePuppet(process.env).kind === 'sandbox'
// in the sandbox the terminal is the chat; only warnings are logged there unless LOG_LEVEL says otherwise
const log = createLogger({ level: process.env.LOG_LEVEL ?? (sandboxed && process.stdout.isTTY ? 'warn' : 'info') })

let args
try {
  args = await parseCli(process.argv.slice(2))
} catch (err) {
  console.error(`${(err as Error).message}\nusage: npm start -- [--config config/bot.yaml] [--data data]`)
  process.exit(2)
}
if (args.usingExample) {
  log.warn(`config/bot.yaml not found: running with ${args.config}; copy it to config/bot.yaml to make it yours`)
}

const { startApp } = await import('./runtime/App.js')
let app: Awaited<ReturnType<typeof startApp>> | undefined
// started by a test or a supervisor that may die without stopping us (SIYU_WATCH_PID)
const { watchPid } = await import('./runtime/watchPid.js')
watchPid(process.env, (pid) => {
  log.warn({ pid }, 'the process that started the bot (SIYU_WATCH_PID) is gone; stopping')
  if (app) shutdown('SIYU_WATCH_PID')
  else process.exit(1)
})
try {
  app = await startApp({ configPath: args.config, dataDir: args.data, env: process.env, log })
} catch (err) {
  if (err instanceof ConfigError) {
    for (const p of err.problems) console.error(formatProblem(p))
    console.error(`${err.errors.length} problem(s) in ${args.config}; the bot did not start.`)
    process.exit(2)
  }
  if (err instanceof StoreCorruptError || err instanceof StoreLockedError) {
    console.error((err as Error).message)
    process.exit(3)
  }
  console.error(err)
  process.exit(1)
}
log.info({ config: args.config, data: args.data, groups: app.config().groups.length }, 'siyu is running')

let signalled = false
const shutdown = (signal: string): void => {
  if (signalled) return
  signalled = true
  log.info({ signal }, 'stopping: no new events, writing the store, closing the connection')
  // the contract allows 10 s; anything still hanging after 9 s is abandoned
  setTimeout(() => {
    log.error('shutdown took too long; exiting anyway')
    process.exit(1)
  }, 9_000).unref()
  app!
    .stop()
    .then(() => {
      log.info('stopped')
      process.exit(0)
    })
    .catch((err: unknown) => {
      log.error({ err }, 'error while stopping')
      process.exit(1)
    })
}
process.on('SIGINT', () => shutdown('SIGINT'))
process.on('SIGTERM', () => shutdown('SIGTERM'))
process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (kept running)'))
export {}
