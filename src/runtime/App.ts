import { basename, dirname, join, resolve } from 'node:path'
import type { Logger } from 'pino'
import { WechatyBuilder, type Wechaty } from 'wechaty'
import { SKILLS } from '../../skills/index.js'
import { createAiClient } from '../ai/OpenAiClient.js'
import type { Clock } from '../clock/Clock.js'
import { clockFromEnv } from './clockFromEnv.js'
import { loadConfig, type LoadedConfig } from '../config/loadConfig.js'
import { ConfigError, formatProblem } from '../config/problems.js'
import { checkConsoleExposure, startConsole, type RunningConsole } from '../console/startConsole.js'
import { Engine } from '../engine/Engine.js'
import type { Skill } from '../engine/Skill.js'
import { Sandbox } from '../sandbox/Sandbox.js'
import { SendQueue } from '../send/SendQueue.js'
import { fenceActions } from './fenceActions.js'
import { openStorage } from '../ha/openStorage.js'
import type { LeaseKeeper } from '../ha/LeaseKeeper.js'
import { Store } from '../store/Store.js'
import { ConfigReloader } from './ConfigReloader.js'
import { choosePuppet, type PuppetChoice } from './puppetChoice.js'
import { WechatyRuntime } from './WechatyRuntime.js'
import { Accounts, accountsSandboxed } from './Accounts.js'
import { MediaLibrary } from '../media/MediaLibrary.js'
import { accountMedia } from '../media/accountMedia.js'

/** With a lease, the first wait for a login before the puppet is restarted (see ConnectionSupervisor). */
const LOGIN_AFTER_TAKEOVER_MS = 8_000

export interface AppOptions {
  configPath: string
  dataDir: string
  /** `postgres://…`: keep the state in PostgreSQL (active/standby with a lease) instead of `dataDir`. */
  store?: string
  /** Aborting it ends a standby's wait for the lease (startApp then throws StandbyStopped). */
  signal?: AbortSignal
  env: NodeJS.ProcessEnv
  log: Logger
  clock?: Clock
  skills?: readonly Skill<any>[]
  /** A puppet instance to use instead of the environment's choice (benchmarks, tests). */
  puppet?: object
  /**
   * A host program's Wechaty (the plugin, src/plugin.ts): siyu listens on it and sends through
   * it, and never starts, stops or logs it in (`stop()` takes siyu's listeners off it). No
   * sandbox and no `accounts:` — the host's bot is the one account; `dataDir` is used as given.
   */
  wechaty?: Wechaty
  /** With `accounts:` in the config: a puppet instance per account id (tests). */
  puppets?: ReadonlyMap<string, object>
  /** Where the sandbox reads typed lines and prints the group (default: the process's). */
  stdin?: NodeJS.ReadableStream
  stdout?: NodeJS.WritableStream
}

/** A running bot: everything wired, and the one way to stop it. */
export interface App {
  config: () => LoadedConfig
  engine: Engine
  store: Store
  queue: SendQueue
  wechaty: Wechaty
  runtime: WechatyRuntime
  sandbox?: Sandbox
  /** With `accounts:`: every account (queue, wechaty and runtime above are the first one's). */
  accounts?: Accounts
  /** The operator console and API (CONTRACT §8), unless `console.port` is 0 or it could not start. */
  console?: RunningConsole
  /** With PostgreSQL: the lease; `lease.lost` resolves if another process took it over. */
  lease?: LeaseKeeper
  stop(): Promise<void>
}

/**
 * Builds and starts the bot. Config problems and unreadable data throw (ConfigError,
 * StoreCorruptError, StoreLockedError) before anything is written; main turns them into
 * exit codes.
 */
export async function startApp(o: AppOptions): Promise<App> {
  const fromEnv = o.clock ? undefined : clockFromEnv(o.env)
  const clock = o.clock ?? fromEnv!.clock
  const skills = o.skills ?? SKILLS
  const log = o.log
  if (fromEnv && fromEnv.offsetMs !== 0) log.warn({ offsetMs: fromEnv.offsetMs }, "SIYU_TEST_CLOCK_OFFSET is set: the bot's clock is moved (for tests only)")
  let config = await loadConfig(o.configPath, skills, clock.now())
  for (const w of config.warnings) log.warn(formatProblem(w))
  checkConsoleExposure(config, o.env)

  const multi = config.accounts.length > 0
  const hosted = o.wechaty !== undefined
  if (hosted && multi) {
    const at = config.accounts[0]!.where
    throw new ConfigError([{ ...at, severity: 'error', message: 'accounts: needs siyu\'s own process (siyu start); the plugin serves the one Wechaty it is installed on — remove accounts:' }])
  }
  const choice: PuppetChoice = hosted
    ? { kind: 'named', name: 'the host program\'s puppet' }
    : multi
      ? accountsSandboxed(config, o.env) && !o.puppets
        ? { kind: 'sandbox' }
        : { kind: 'service', endpoint: undefined, tlsDisabled: false }
      : choosePuppet(o.env)
  const dataDir = choice.kind === 'sandbox' ? sandboxDataDir(o.dataDir) : o.dataDir
  // with PostgreSQL this waits here, as the standby, until this process holds the lease
  const storage = await openStorage({ store: o.store, dataDir, log, env: o.env, signal: o.signal })
  const lease = storage.lease
  const store = new Store(storage.adapter, { clock, log: log.child({ part: 'store', dataDir: o.store ? undefined : dataDir }) })
  // media of the config: https items fetched and card thumbnails made once, kept in the data dir
  const media = new MediaLibrary({ cacheDir: join(dataDir, 'media-cache'), log: log.child({ part: 'media' }) })
  await media.use(config)
  const budgets = (await store.open('core/')).child('media-budget')
  const mediaOf = (account: string, puppet: () => WechatyRuntime | undefined) =>
    accountMedia({
      library: media,
      budgets,
      account,
      bot: () => config.bot,
      clock,
      log: log.child({ part: 'media', account }),
      puppet: () => {
        const p = puppet()
        if (!p) throw new Error('no WeChat connection yet')
        return p
      },
      maySend: () => lease?.sending ?? true,
    })

  // many accounts (src/runtime/Accounts.ts): a queue per account behind the router
  const multiSandbox = multi && choice.kind === 'sandbox' ? new Sandbox(config, o.stdout ?? process.stdout, config.accounts.map((a) => a.id)) : undefined
  const accounts = multi
    ? await Accounts.create({ config, env: o.env, clock, log, store, puppets: o.puppets ?? multiSandbox?.puppets, maySend: () => lease?.sending ?? true, media: mediaOf, firstLoginTimeoutMs: lease ? LOGIN_AFTER_TAKEOVER_MS : undefined })
    : undefined

  let runtime: WechatyRuntime | undefined
  const queue = accounts?.handles[0]!.queue ?? new SendQueue(
    {
      // a process whose lease could have expired sends nothing (held, no tries spent)
      send: (to, text, mentionIds) => (lease && !lease.sending ? Promise.reject(new Error('not sending: lease not held')) : runtime!.send(to, text, mentionIds)),
      connected: () => (runtime?.connected ?? false) && (lease?.sending ?? true),
      ...mediaOf('main', () => runtime),
    },
    { clock, limits: config.bot.rateLimit, log: log.child({ part: 'send' }) },
  )

  const ai = createAiClient(config.ai, o.env)
  if (ai.problem) log.warn(ai.problem)

  let reloader: ConfigReloader | undefined
  const engine = await Engine.create(
    { skills, store, queue: accounts?.router ?? queue, clock, log, ai: ai.client, reload: () => reloader!.reload('#reload') },
    config,
  )
  storage.loaded()
  reloader = new ConfigReloader(
    o.configPath,
    skills,
    async (next) => {
      if (JSON.stringify(next.ai) !== JSON.stringify(config.ai)) {
        const changed = createAiClient(next.ai, o.env)
        if (changed.problem) log.warn(changed.problem)
        engine.setAi(changed.client)
      }
      if (JSON.stringify(next.accounts.map(({ where: _, ...a }) => a)) !== JSON.stringify(config.accounts.map(({ where: _, ...a }) => a))) {
        log.warn('accounts: changed; the list of accounts applies after a restart (the groups’ order of accounts applies now)')
      }
      await media.use(next)
      config = next
      if (accounts) accounts.setLimits(next.bot.rateLimit)
      else queue.setLimits(next.bot.rateLimit)
      await engine.setConfig(next)
    },
    log,
    () => clock.now(),
  )

  let wechaty: Wechaty
  let sandbox: Sandbox | undefined
  if (accounts) {
    await accounts.start(engine)
    ;({ wechaty, runtime } = accounts.handles[0]!)
    sandbox = multiSandbox
  } else {
    ;({ wechaty, sandbox } = o.wechaty
      ? { wechaty: o.wechaty, sandbox: undefined }
      : o.puppet
        ? { wechaty: WechatyBuilder.build({ puppet: o.puppet as never }), sandbox: undefined }
        : buildWechaty(choice, config, o.stdout ?? process.stdout))
    // with a lease the account's session was, or may still be, another process's (the old
    // active's stream can hold the service a little longer): restart sooner if no login comes
    runtime = new WechatyRuntime({ wechaty, engine, queue, log, hosted, firstLoginTimeoutMs: lease ? LOGIN_AFTER_TAKEOVER_MS : undefined })
    // accepts, invites and removals are fenced by the lease like texts (src/runtime/fenceActions.ts)
    engine.setActions(lease ? fenceActions(runtime, () => lease.sending) : runtime)
    await runtime.start()
  }
  reloader.watch()

  if (sandbox) (o.stdout ?? process.stdout).write(`${sandbox.banner()}\n`)
  const consoleServer = await startConsole({
    config,
    getConfig: () => config,
    env: o.env,
    engine,
    store,
    queue,
    clock,
    log,
    runtime,
    wechaty,
    out: o.stdout ?? process.stdout,
    // not on a terminal (systemd, Docker): the login link goes to a file only its owner reads
    linkFile: join(dataDir, 'console-login.url'),
    alwaysPrint: sandbox !== undefined,
  })
  if (sandbox) {
    sandbox.login()
    sandbox.attach(o.stdin ?? process.stdin)
  } else if (!accounts && !hosted) {
    log.info({ puppet: choice.kind === 'named' ? choice.name : 'wechaty-puppet-service', endpoint: choice.kind === 'service' ? choice.endpoint : undefined }, 'connecting to WeChat')
  }

  let stopping: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      await consoleServer?.close().catch((err: unknown) => log.warn({ err }, 'console did not close cleanly'))
      reloader!.close()
      await (accounts ? accounts.stopEvents(2_000) : runtime!.stopEvents(2_000))
      await engine.settle(1_500)
      await (accounts ? accounts.closeQueues(2_000) : queue.close(2_000))
      engine.stop()
      await store.close()
      await (accounts ? accounts.stopPuppets() : runtime!.stopPuppet())
      await lease?.release()
    })()
    return stopping
  }

  return { config: () => config, engine, store, queue, wechaty, runtime, sandbox, accounts, console: consoleServer, lease, stop }
}

/**
 * The sandbox's data dir: a sibling of the live one (`data` → `data-sandbox`), never inside
 * it, so the live bot neither loads the sandbox's files nor stops on a broken one of them.
 */
export function sandboxDataDir(dataDir: string): string {
  const abs = resolve(dataDir)
  return join(dirname(abs), `${basename(abs)}-sandbox`)
}

function buildWechaty(choice: PuppetChoice, config: LoadedConfig, out: NodeJS.WritableStream): { wechaty: Wechaty; sandbox?: Sandbox } {
  if (choice.kind === 'sandbox') {
    const sandbox = new Sandbox(config, out)
    return { wechaty: WechatyBuilder.build({ puppet: sandbox.puppet }), sandbox }
  }
  if (choice.kind === 'named') {
    return { wechaty: WechatyBuilder.build({ puppet: choice.name as never }) }
  }
  // token, endpoint and TLS come from Wechaty's own environment variables
  const puppetOptions: Record<string, unknown> = {}
  if (choice.tlsDisabled) puppetOptions.tls = { disable: true }
  return { wechaty: WechatyBuilder.build({ puppet: 'wechaty-puppet-service', puppetOptions }) }
}
