/**
 * Start-up, compiled against transpiled at start (issue 24): from spawn to the sandbox's banner
 * for `node dist/src/cli/siyu.js start` (what `npm start`, systemd and Docker run now) and for
 * `node --import tsx src/main.ts` (how the bot was started before dist/: TypeScript transpiled by
 * tsx/esbuild on every start). Same config, a fresh data dir each start, alternating ABBA so
 * neither side always runs first on a warm disk cache; RSS of the bot at the banner (from
 * /proc, the process's own memory; tsx's is loaded in the same process). dist/ must be current
 * (`npm run build`).
 *   node --import tsx bench/startup.ts [rounds]
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { freePort } from '../tests/helpers/PuppetService.js'
import { fmt, median, tempDir } from './lib.js'

const ROOT = join(import.meta.dirname, '..')
const BANNER = '沙盒 Sandbox: a simulated WeChat'

/** The config `siyu init --yes` writes for one group, with the console on (as an operator has it). */
const CONFIG = (port: number) => `bot:
  name: 小助手
  admins: [wxid_boss]
console:
  port: ${port}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: {}
      checkin: {}
      points: {}
      live: {}
      autoreply: { rules: [{ keywords: [发货], reply: "48 小时内发货" }] }
`

export type StartWay = 'compiled' | 'tsx'

const ARGS: Record<StartWay, string[]> = {
  compiled: [join(ROOT, 'dist', 'src', 'cli', 'siyu.js'), 'start'],
  tsx: ['--import', 'tsx', join(ROOT, 'src', 'main.ts')],
}

export interface StartResult {
  ms: number
  rssMb: number
}

/** One start: spawn → the banner on stdout (ms), its RSS then; stopped with SIGTERM and awaited. */
export async function startOnce(way: StartWay, port: number): Promise<StartResult> {
  const { dir, cleanup } = await tempDir('siyu-bench-startup-')
  try {
    await writeFile(join(dir, 'bot.yaml'), CONFIG(port))
    const env = { PATH: process.env.PATH, HOME: dir, LOG_LEVEL: 'info', SIYU_WATCH_PID: String(process.pid) }
    const t0 = performance.now()
    const child = spawn(process.execPath, [...ARGS[way], '--config', join(dir, 'bot.yaml'), '--data', join(dir, 'data')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()))
    let err = ''
    child.stderr.on('data', (b: Buffer) => (err += b.toString()))
    let rss = NaN
    const lines = createInterface({ input: child.stdout })
    const seen = (what: string, atLine?: () => void) =>
      new Promise<number>((resolve, reject) => {
        lines.on('line', (l) => {
          if (!l.includes(what)) return
          atLine?.()
          resolve(performance.now() - t0)
        })
        void exited.then(() => reject(new Error(`${way}: exited before "${what}"\n${err}`)))
      })
    const running = seen('"msg":"siyu is running"')
    const ms = await seen(BANNER, () => (rss = Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024))
    // stopped once it says it runs: a SIGTERM while the console starts (right after the banner) is lost today
    await running
    // the next start must not share the machine with this one's shutdown
    child.kill('SIGTERM')
    await exited
    return { ms, rssMb: rss / 1024 / 1024 }
  } finally {
    await cleanup()
  }
}

export async function startupRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  if (!existsSync(ARGS.compiled[0]!)) throw new Error('bench startup: dist/ is missing; npm run build first')
  const port = await freePort()
  const got: Record<StartWay, StartResult[]> = { compiled: [], tsx: [] }
  // one unmeasured start of each: the first start after a build pays for a cold disk cache
  await startOnce('compiled', port)
  await startOnce('tsx', port)
  for (let i = 0; i < rounds; i++) {
    log(`startup: round ${i + 1}/${rounds}`)
    const order: StartWay[] = i % 2 === 0 ? ['compiled', 'tsx', 'tsx', 'compiled'] : ['tsx', 'compiled', 'compiled', 'tsx']
    for (const way of order) got[way].push(await startOnce(way, port))
  }
  const m = (way: StartWay, k: keyof StartResult) => median(got[way].map((r) => r[k]))
  const n = got.compiled.length
  return [
    [`Start-up: spawn → sandbox banner, one group, console on, fresh data dir (ABBA, ${n} starts each)`, 'node dist/… (now)', 'node --import tsx src/main.ts (before)', ''],
    ['  ms to the banner (median)', fmt(m('compiled', 'ms'), 0), fmt(m('tsx', 'ms'), 0), `${fmt(m('tsx', 'ms') / m('compiled', 'ms'), 2)}× faster`],
    ['  ms to the banner (min / max)', `${fmt(Math.min(...got.compiled.map((r) => r.ms)), 0)} / ${fmt(Math.max(...got.compiled.map((r) => r.ms)), 0)}`, `${fmt(Math.min(...got.tsx.map((r) => r.ms)), 0)} / ${fmt(Math.max(...got.tsx.map((r) => r.ms)), 0)}`, ''],
    ['  RSS at the banner (median)', `${fmt(m('compiled', 'rssMb'), 0)} MB`, `${fmt(m('tsx', 'rssMb'), 0)} MB`, `${fmt(m('tsx', 'rssMb') - m('compiled', 'rssMb'), 0)} MB more with tsx`],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await startupRows(Number(process.argv[2] ?? 3), (s) => process.stderr.write(`${s}\n`))
  console.log(['| measure | siyu | baseline | ratio |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'))
  process.exit(0)
}
