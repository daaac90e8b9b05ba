import type { Logger } from 'pino'
import { WechatyBuilder, type Wechaty } from 'wechaty'
import type { Clock } from '../clock/Clock.js'
import { DEFAULT_TAKEOVER_SECONDS } from '../config/accountsSchema.js'
import type { AccountConfig, LoadedConfig } from '../config/loadConfig.js'
import { ConfigError } from '../config/problems.js'
import { assigneesInStore } from '../engine/Assignees.js'
import type { Engine } from '../engine/Engine.js'
import { SendQueue, type RateLimits, type Transport } from '../send/SendQueue.js'
import type { Store } from '../store/Store.js'
import { NotConnectedError } from '../engine/actions.js'
import { fenceActions } from './fenceActions.js'
import { AccountRouter } from './AccountRouter.js'
import { ConnectionSupervisor } from './ConnectionSupervisor.js'
import { WechatyRuntime } from './WechatyRuntime.js'

/** One account: its own Wechaty, connection supervisor (in the runtime), send queue and rate windows. */
export interface AccountHandle {
  id: string
  wechaty: Wechaty
  queue: SendQueue
  runtime: WechatyRuntime
}

export interface AccountsOptions {
  config: LoadedConfig
  env: NodeJS.ProcessEnv
  clock: Clock
  log: Logger
  store: Store
  /** Puppet instances by account id (the sandbox's, tests'); else puppet services from the env. */
  puppets?: ReadonlyMap<string, object>
  /** False while this process may not send (PostgreSQL: its lease could have expired). */
  maySend?: () => boolean
  /** The first wait for each account's login, when shorter (with a lease: see ConnectionSupervisor). */
  firstLoginTimeoutMs?: number
  /** The media half of an account's transport (src/media/accountMedia.ts), given its runtime. */
  media?: (account: string, runtime: () => WechatyRuntime | undefined) => Pick<Transport, 'sendMedia' | 'mediaBudgetLeft'>
}

/**
 * With `accounts:`, the sandbox runs when WECHATY_PUPPET says so, or when no account's token
 * variable is set and no puppet is named (as with one account and no token).
 */
export function accountsSandboxed(config: LoadedConfig, env: NodeJS.ProcessEnv): boolean {
  const named = env.WECHATY_PUPPET?.trim()
  if (named === 'wechaty-puppet-mock') return true
  return !named && config.accounts.every((a) => !env[a.tokenEnv]?.trim())
}

/**
 * How to reach each account's puppet service: token, endpoint and TLS from the environment
 * variables the config names. A variable that is not set stops the start with the place in
 * the config that names it.
 */
export function accountPuppetOptions(accounts: readonly AccountConfig[], env: NodeJS.ProcessEnv): Map<string, Record<string, unknown>> {
  const problems = accounts
    .filter((a) => !env[a.tokenEnv]?.trim())
    .map((a) => ({
      ...a.where,
      severity: 'error' as const,
      message: `account ${a.id}: the environment variable ${a.tokenEnv} is not set (it holds this account's puppet service token)`,
    }))
  if (problems.length > 0) throw new ConfigError(problems)
  return new Map(
    accounts.map((a) => {
      const endpoint = a.endpointEnv ? env[a.endpointEnv]?.trim() : undefined
      const noTls = env[a.noTlsEnv ?? 'WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT'] === 'true'
      return [a.id, { token: env[a.tokenEnv]!.trim(), ...(endpoint ? { endpoint } : {}), ...(noTls ? { tls: { disable: true } } : {}) }]
    }),
  )
}

/**
 * Many accounts, one bot (CONTRACT §9): a Wechaty, a WechatyRuntime (with its connection
 * supervisor) and a SendQueue per account, all feeding ONE engine through the AccountRouter,
 * which picks the account serving each room. Made before the engine (the engine sends through
 * the router), started once the engine exists.
 */
export class Accounts {
  readonly handles: AccountHandle[] = []

  private constructor(
    readonly router: AccountRouter,
    private readonly o: AccountsOptions,
    private readonly queues: Map<string, SendQueue>,
    private readonly runtimes: Map<string, WechatyRuntime>,
  ) {}

  static async create(o: AccountsOptions): Promise<Accounts> {
    const { config, clock, log } = o
    const puppets = o.puppets ?? undefined
    const options = puppets ? undefined : accountPuppetOptions(config.accounts, o.env)
    const queues = new Map<string, SendQueue>()
    const runtimes = new Map<string, WechatyRuntime>()
    for (const a of config.accounts) {
      queues.set(
        a.id,
        new SendQueue(
          {
            // a process whose lease could have expired sends nothing (held, no tries spent)
            send: (to, text, mentionIds) =>
              o.maySend?.() === false ? Promise.reject(new Error('not sending: lease not held')) : runtimes.get(a.id)!.send(to, text, mentionIds),
            connected: () => (runtimes.get(a.id)?.connected ?? false) && o.maySend?.() !== false,
            ...o.media?.(a.id, () => runtimes.get(a.id)),
          },
          { clock, limits: config.bot.rateLimit, log: log.child({ part: 'send', account: a.id }) },
        ),
      )
    }
    const core = await o.store.open('core/')
    const router = new AccountRouter({
      accounts: config.accounts.map((a) => ({
        id: a.id,
        queue: queues.get(a.id)!,
        // the runtime exists once start() ran; actions before that wait like a missing connection;
        // and, like texts, they are fenced by the lease (src/runtime/fenceActions.ts)
        actions: fenceActions(
          {
            acceptFriendship: async (id) => need(runtimes, a.id).acceptFriendship(id),
            addToRoom: async (r, c) => need(runtimes, a.id).addToRoom(r, c),
            removeFromRoom: async (r, c) => need(runtimes, a.id).removeFromRoom(r, c),
            roomMemberIds: async (r) => need(runtimes, a.id).roomMemberIds(r),
            roomMember: async (r, c) => need(runtimes, a.id).roomMember(r, c),
            ownIds: () => runtimes.get(a.id)?.ownIds() ?? [],
            canAct: () => runtimes.get(a.id)?.canAct() ?? false,
          },
          () => o.maySend?.() !== false,
        ),
      })),
      clock,
      log: log.child({ part: 'accounts' }),
      record: assigneesInStore(core.child('accounts').child('assignee')),
      graceMs: (config.bot.takeoverSeconds ?? DEFAULT_TAKEOVER_SECONDS) * 1000,
    })
    const accounts = new Accounts(router, o, queues, runtimes)
    for (const a of config.accounts) {
      const puppet = puppets?.get(a.id)
      const wechaty = puppet
        ? WechatyBuilder.build({ puppet: puppet as never })
        : WechatyBuilder.build({ puppet: 'wechaty-puppet-service', puppetOptions: options!.get(a.id) as never })
      accounts.handles.push({ id: a.id, wechaty, queue: queues.get(a.id)!, runtime: undefined as unknown as WechatyRuntime })
    }
    return accounts
  }

  /** Wire every account to the engine and connect them all. */
  async start(engine: Engine): Promise<void> {
    this.router.attach(engine)
    engine.setActions(this.router)
    for (const h of this.handles) {
      const log = this.o.log.child({ account: h.id })
      h.runtime = new WechatyRuntime({ wechaty: h.wechaty, engine: this.router.sinkFor(h.id), queue: h.queue, log, firstLoginTimeoutMs: this.o.firstLoginTimeoutMs })
      this.runtimes.set(h.id, h.runtime)
      // the router hears of a lost account from the same events the runtime reacts to
      h.wechaty.on('logout', (_user, reason) => this.router.setOffline(h.id, `logged out${reason ? `: ${reason}` : ''}`))
      h.wechaty.on('error', (err) => {
        if (ConnectionSupervisor.isConnectionError(err)) this.router.setOffline(h.id, `connection lost: ${String((err as Error)?.message ?? err)}`)
      })
    }
    await Promise.all(this.handles.map((h) => h.runtime.start()))
    this.o.log.info({ accounts: this.handles.map((h) => h.id) }, 'connecting the accounts to WeChat')
  }

  setLimits(limits: RateLimits | false): void {
    for (const q of this.queues.values()) q.setLimits(limits)
  }

  async stopEvents(graceMs: number): Promise<void> {
    this.router.close()
    await Promise.all(this.handles.map((h) => h.runtime?.stopEvents(graceMs)))
  }

  async closeQueues(graceMs: number): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close(graceMs)))
  }

  async stopPuppets(): Promise<void> {
    await Promise.all(this.handles.map((h) => h.runtime?.stopPuppet()))
  }
}

function need(runtimes: Map<string, WechatyRuntime>, id: string): WechatyRuntime {
  const r = runtimes.get(id)
  if (!r) throw new NotConnectedError('no WeChat connection yet')
  return r
}
