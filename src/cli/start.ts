import { existsSync } from 'node:fs'
import { ConfigError, formatProblem } from '../config/problems.js'
import { createLogger } from '../log/logger.js'
import type { App } from '../runtime/App.js'
import { choosePuppet } from '../runtime/puppetChoice.js'
import { watchPid } from '../runtime/watchPid.js'
import { isConnectionError, redactUrl } from '../store/postgres/connection.js'
import { SchemaTooNewError } from '../store/postgres/schema.js'
import { StoreCorruptError, StoreLockedError } from '../store/StorageAdapter.js'
import { DEFAULT_CONFIG, parseCli } from './args.js'
import { usageError } from './usage.js'

/**
 * `siyu start [--config <file>] [--data <dir> | --store postgres://…]` (also `npm start`): run
 * the bot until a signal. Exit codes: 0 stopped by a signal, 1 unexpected failure, 2 bad
 * config or arguments, 3 unusable data dir or database, 4 lost the lease to another process
 * (start it again: it becomes the standby). Wechaty's own logger (brolog) reads WECHATY_LOG
 * once, at import: the caller (src/cli/siyu.ts) sets it before this module loads anything.
 */
export async function runStart(argv: string[]): Promise<undefined> {
  const sandboxed = choosePuppet(process.env).kind === 'sandbox'
  // in the sandbox the terminal is the chat; only warnings are logged there unless LOG_LEVEL says otherwise
  const log = createLogger({ level: process.env.LOG_LEVEL ?? (sandboxed && process.stdout.isTTY ? 'warn' : 'info') })

  let args
  try {
    args = await parseCli(argv)
  } catch (err) {
    console.error((err as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') ? usageError('start', err) : `siyu start: ${(err as Error).message} (siyu start --help)`)
    process.exit(2)
  }
  if (args.usingExample) {
    log.warn(`config/bot.yaml not found: running with ${args.config}; copy it to config/bot.yaml to make it yours`)
  }

  // the heavy part (Wechaty, the skills, the console) only once the arguments are good
  const { startApp } = await import('../runtime/App.js')
  const { StandbyStopped } = await import('../ha/LeaseKeeper.js')
  let app: App | undefined
  // started by a test or a supervisor that may die without stopping us (SIYU_WATCH_PID)
  watchPid(process.env, (pid) => {
    log.warn({ pid }, 'the process that started the bot (SIYU_WATCH_PID) is gone; stopping')
    if (app) shutdown('SIYU_WATCH_PID')
    else process.exit(1)
  })
  // a standby can wait for the lease for days: a signal then ends the wait (exit 0)
  const beforeStart = new AbortController()
  let signalledEarly: string | undefined
  const early = (signal: string): void => {
    signalledEarly ??= signal
    beforeStart.abort()
  }
  process.once('SIGINT', early)
  process.once('SIGTERM', early)
  try {
    app = await startApp({ configPath: args.config, dataDir: args.data, store: args.store, env: process.env, log, signal: beforeStart.signal })
  } catch (err) {
    if (err instanceof StandbyStopped) {
      log.info({ signal: signalledEarly }, 'stopped (this process was the standby)')
      process.exit(0)
    }
    if (err instanceof ConfigError) {
      for (const p of err.problems) console.error(formatProblem(p))
      console.error(`${err.errors.length} problem(s) in ${args.config}; the bot did not start.`)
      if (args.config === DEFAULT_CONFIG && !existsSync(DEFAULT_CONFIG)) console.error('No config yet? `siyu init` writes one from a few answers (or copy config/bot.example.yaml).')
      process.exit(2)
    }
    if (err instanceof StoreCorruptError || err instanceof StoreLockedError || err instanceof SchemaTooNewError) {
      console.error((err as Error).message)
      process.exit(3)
    }
    if (args.store && isConnectionError(err)) {
      console.error(`cannot reach the database ${redactUrl(args.store)}: ${(err as Error).message}; the bot did not start`)
      process.exit(3)
    }
    // never the URL's password, in whatever the driver put in its message
    console.error(args.store ? String((err as Error)?.stack ?? err).replaceAll(args.store, redactUrl(args.store)) : err)
    process.exit(1)
  }
  const running: App = app
  log.info({ config: args.config, ...(args.store ? { store: redactUrl(args.store) } : { data: args.data }), groups: running.config().groups.length }, 'siyu is running')

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
    running
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
  // another process took the lease (this one was cut off for longer than the lease): its state
  // and its writes can no longer be trusted. Stop talking to WeChat and exit; started again, it is the standby.
  void running.lease?.lost.then(() => {
    if (signalled) return
    signalled = true
    setTimeout(() => process.exit(4), 5_000).unref()
    void running.runtime.stopEvents(500).then(() => running.runtime.stopPuppet()).finally(() => {
      log.error('exiting (4): this process lost the lease; start it again to be the standby')
      process.exit(4)
    })
  })
  process.removeListener('SIGINT', early)
  process.removeListener('SIGTERM', early)
  process.on('SIGINT', () => shutdown('SIGINT'))
  process.on('SIGTERM', () => shutdown('SIGTERM'))
  if (signalledEarly) shutdown(signalledEarly)
  process.on('unhandledRejection', (err) => log.error({ err }, 'unhandled rejection (kept running)'))
  return undefined
}
