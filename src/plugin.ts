import type { Logger } from 'pino'
import type { Wechaty as WechatyInterface, WechatyPlugin } from 'wechaty'
import { ConfigError, formatProblem } from './config/problems.js'
import { createLogger } from './log/logger.js'
import { startApp, type App } from './runtime/App.js'

/** What `siyu({...})` takes. Paths are relative to the host's working directory, as with `siyu start`. */
export interface SiyuPluginOptions {
  /** The config file (YAML), e.g. `config/bot.yaml` — `siyu init` writes one. */
  config: string
  /** Where the state lives (default `data`). One data dir serves one bot at a time. */
  data?: string
  /** `postgres://…`: keep the state in PostgreSQL instead (as `siyu start --store`). */
  store?: string
  /** siyu's logger (default: pino JSON lines on stdout at `LOG_LEVEL`, as `siyu start` logs). */
  log?: Logger
  /** Where the config's variable names are looked up (default `process.env`). */
  env?: NodeJS.ProcessEnv
}

/**
 * A Wechaty plugin (`bot.use(plugin)`) that also says when siyu is up and lets the host stop it.
 * `bot.use` returns the uninstaller, which starts the same stop as `plugin.stop()`.
 */
export interface SiyuPlugin extends WechatyPlugin {
  /**
   * Resolves once the config is loaded, the store open and the skills listening on the bot;
   * rejects with what went wrong (a ConfigError lists every problem as file:line:col). Pending
   * until the plugin is installed with `bot.use`.
   */
  readonly ready: Promise<App>
  /** Stops siyu — not the host's bot: no more events, waiting texts sent or kept, store written, console closed. */
  stop(): Promise<void>
}

/** Bots with a siyu on them: one bot, one siyu (its data dir holds one bot's state). */
const installed = new WeakSet<object>()

/**
 * siyu inside a host program's Wechaty: `bot.use(siyu({ config: 'config/bot.yaml', data: 'data' }))`.
 * The host owns the bot — its puppet, its login, its start and stop; siyu runs the engine,
 * skills, store, send governor and console on it, wired exactly as `siyu start` wires them
 * (startApp). `bot.use` returns an uninstaller (Wechaty's `() => void`): calling it stops siyu
 * and takes its listeners off the bot; `await plugin.stop()` does the same and says when it is
 * done, after which siyu leaves no timer or handle behind. A second siyu on the same bot is
 * refused (thrown by `bot.use`), and so is one plugin on two bots.
 */
export function siyu(options: SiyuPluginOptions): SiyuPlugin {
  let bot: WechatyInterface | undefined
  let resolveReady!: (app: App) => void
  let rejectReady!: (err: unknown) => void
  const ready = new Promise<App>((resolve, reject) => {
    resolveReady = resolve
    rejectReady = reject
  })
  // a host that never awaits `ready` gets the reason in the log, not an unhandled rejection
  ready.catch(() => {})
  let stopping: Promise<void> | undefined

  const stop = (): Promise<void> => {
    if (!bot) return Promise.resolve()
    const on = bot
    stopping ??= ready.then(
      (app) => app.stop().finally(() => installed.delete(on)),
      () => void installed.delete(on), // it never started: nothing to stop
    )
    return stopping
  }

  const plugin = (host: WechatyInterface): (() => void) => {
    if (bot) {
      throw new Error(bot === host ? 'siyu: this plugin is installed on this bot already' : 'siyu: this plugin is installed on another bot already; call siyu({...}) again, with its own data dir, for a second bot')
    }
    if (installed.has(host)) {
      throw new Error(`siyu: a siyu plugin is installed on this bot (${host.name()}) already — one bot runs one siyu with one data dir; uninstall the first (its uninstaller or plugin.stop()) before installing another`)
    }
    installed.add(host)
    bot = host
    const log = options.log ?? createLogger()
    const env = options.env ?? process.env
    startApp({ configPath: options.config, dataDir: options.data ?? 'data', store: options.store ?? (env.SIYU_STORE || undefined), env, log, wechaty: host }).then(
      (app) => {
        log.info({ config: options.config, bot: host.name(), groups: app.config().groups.length }, 'siyu is running in the host bot')
        resolveReady(app)
      },
      (err: unknown) => {
        if (err instanceof ConfigError) log.error({ problems: err.problems.map(formatProblem) }, `siyu did not start: ${err.errors.length} problem(s) in ${options.config}`)
        else log.error({ err }, 'siyu did not start')
        installed.delete(host)
        rejectReady(err)
      },
    )
    return () => void stop()
  }
  return Object.assign(plugin, { ready, stop })
}
