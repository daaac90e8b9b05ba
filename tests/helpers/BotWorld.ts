import { writeFile } from 'node:fs/promises'
import { afterAll, beforeAll } from 'vitest'
import { join } from 'node:path'
import { BotProcess } from './BotProcess.js'
import { PuppetService } from './PuppetService.js'
import { tempDir } from './tmp.js'

/**
 * One end-to-end world: a temporary folder (config, data, $HOME), a puppet service on
 * 127.0.0.1, and the bot as a child process talking to it — restartable on the same data.
 */
export class BotWorld {
  bot: BotProcess | undefined
  /** Every bot started in this world: close() stops them all, not only the latest handle. */
  private readonly bots: BotProcess[] = []
  readonly configPath: string
  readonly dataDir: string

  private constructor(
    readonly svc: PuppetService,
    readonly dir: string,
    private readonly cleanup: () => Promise<void>,
  ) {
    this.configPath = join(dir, 'bot.yaml')
    this.dataDir = join(dir, 'data')
  }

  static async create(prefix: string, config?: string): Promise<BotWorld> {
    const { dir, cleanup } = await tempDir(`siyu-${prefix}-`)
    const svc = await PuppetService.start().catch(async (err: unknown) => {
      await cleanup()
      throw err
    })
    const world = new BotWorld(svc, dir, cleanup)
    if (config !== undefined) await world.writeConfig(config)
    return world
  }

  writeConfig(text: string): Promise<void> {
    return writeFile(this.configPath, text)
  }

  /** Start the bot (replacing the handle to an earlier one) and, unless told not to, wait until it is ready. */
  async startBot(opts: { env?: Record<string, string>; config?: string; ready?: boolean; npm?: boolean } = {}): Promise<BotProcess> {
    this.bot = new BotProcess({ config: opts.config ?? this.configPath, data: this.dataDir, env: { ...this.svc.env(), ...opts.env }, home: this.dir, npm: opts.npm })
    this.bots.push(this.bot)
    if (opts.ready !== false) await this.bot.ready()
    return this.bot
  }

  async close(): Promise<void> {
    await Promise.all(this.bots.map((b) => b.stop().catch(() => {})))
    await this.svc.close()
    await this.cleanup()
  }
}

export interface UsedBotWorld {
  readonly world: BotWorld
  readonly svc: PuppetService
  readonly bot: BotProcess
}

/**
 * A BotWorld for a whole test file: made and the bot started (ready) before the tests, closed
 * after. `beforeBot` sets up what must exist when the bot logs in (rooms).
 */
export function useBotWorld(prefix: string, config: string, beforeBot?: (svc: PuppetService) => void): UsedBotWorld {
  let world: BotWorld | undefined
  beforeAll(async () => {
    world = await BotWorld.create(prefix, config)
    beforeBot?.(world.svc)
    await world.startBot()
  }, 60_000)
  afterAll(async () => world?.close())
  const need = (): BotWorld => {
    if (!world) throw new Error('the bot world is made in beforeAll')
    return world
  }
  return {
    get world() {
      return need()
    },
    get svc() {
      return need().svc
    },
    get bot() {
      return need().bot!
    },
  }
}
