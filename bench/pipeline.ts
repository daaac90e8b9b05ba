import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { WechatyBuilder } from 'wechaty'
import { silentLogger } from '../src/log/logger.js'
import { startApp } from '../src/runtime/App.js'
import { emitAll, MockWorld, percentile, tempDir, until } from './lib.js'

export const ROOMS = 50
export const MEMBERS = 200
export const RULES = 1000

/** Every skill on, 1,000 keyword rules, rate limits off (the bench config of the issue); the console off unless given a port. */
export function benchConfig(extraGroupSkills = '', consolePort = 0): string {
  const rules = Array.from({ length: RULES }, (_, i) => `          - { keywords: ["KW${i}Z"], reply: "{name} 答 ${i}" }`).join('\n')
  return `bot:
  admins: [wxid_admin]
  rateLimit: false
console:
  port: ${consolePort}
  tokenEnv: SIYU_BENCH_CONSOLE_TOKEN
groups:
  - name: bench
    match: { topic: "bench-*" }
    skills:
      welcome: {}
      checkin: {}
      ping: {}
      live:
        lives:
          - { id: w1, title: 周末场, start: "2030-01-01 20:00" }
      autoreply:
        rules:
${rules}
${extraGroupSkills}`
}

export interface PipelineResult {
  messages: number
  seconds: number
  perSecond: number
  p50: number
  p99: number
  botMessages: number
  /** CPU time of the whole process (bot and mock) from the first message to the last reply: what a busy neighbour on the machine does not inflate as it does wall time. */
  cpuMs: number
}

/** 20,000 member messages (a check-in and a keyword question from each of 10,000 members). */
function traffic(world: MockWorld): Array<() => void> {
  const out: Array<() => void> = []
  for (let i = 0; i < MEMBERS; i++) {
    for (const { room, members } of world.rooms) out.push(() => world.say(members[i]!, room, '签到'))
  }
  for (let i = 0; i < MEMBERS; i++) {
    world.rooms.forEach(({ room, members }, r) => out.push(() => world.say(members[i]!, room, `请问 KW${(i * 7 + r * 13) % RULES}Z 什么时候有货？`)))
  }
  return out
}

async function drive(world: MockWorld): Promise<PipelineResult> {
  const sends = traffic(world)
  const t0 = performance.now()
  const c0 = process.cpuUsage()
  await emitAll(sends.length, (i) => sends[i]!())
  const ok = await until(() => world.replyLines >= sends.length, 10 * 60_000)
  const cpu = process.cpuUsage(c0)
  if (!ok) throw new Error(`only ${world.replyLines} of ${sends.length} messages answered`)
  const seconds = (world.lastReplyAt - t0) / 1000
  return {
    messages: sends.length,
    seconds,
    perSecond: sends.length / seconds,
    p50: percentile(world.latencies, 50),
    p99: percentile(world.latencies, 99),
    botMessages: world.botMessages,
    cpuMs: (cpu.user + cpu.system) / 1000,
  }
}

/**
 * siyu, in process, on a PuppetMock: the whole runtime, store on disk. `config` replaces the
 * bench config (bench/guard.ts adds guard); `consolePort` serves the console on that port and
 * `during` runs while the traffic flows (a poller); its stop is awaited.
 */
export async function siyuRound(
  o: { config?: string; consolePort?: number; env?: Record<string, string>; during?: (base: string) => () => Promise<unknown> } = {},
): Promise<PipelineResult> {
  const { dir, cleanup } = await tempDir('siyu-bench-')
  await writeFile(join(dir, 'bot.yaml'), o.config ?? benchConfig('', o.consolePort))
  const world = new MockWorld(ROOMS, MEMBERS)
  const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: o.env ?? {}, log: silentLogger, puppet: world.puppet, stdout: new Writable({ write: (_c, _e, cb) => cb() }) })
  world.login()
  await app.runtime.ready
  const stop = o.during && app.console ? o.during(app.console.url) : undefined
  try {
    return await drive(world)
  } finally {
    await stop?.()
    await app.stop()
    await cleanup()
  }
}

/** The baseline: a bare Wechaty bot answering every message with a fixed text, same mock. */
export async function bareRound(): Promise<PipelineResult> {
  const world = new MockWorld(ROOMS, MEMBERS)
  const bot = WechatyBuilder.build({ puppet: world.puppet })
  bot.on('error', () => {})
  bot.on('message', async (m) => {
    if (m.self()) return
    await m.room()?.say('收到')
  })
  const loggedIn = new Promise((r) => bot.once('login', r))
  await bot.start()
  world.login()
  await loggedIn
  try {
    return await drive(world)
  } finally {
    await bot.stop()
  }
}
