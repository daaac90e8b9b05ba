/**
 * The console under load: time to first byte of its pages and of GET /api/stats with 100
 * groups × 365 days of stats; and the message pipeline with the console open and polled,
 * against the same pipeline without it. `node --import tsx bench/console.ts` runs it alone;
 * `npm run bench` runs it with the rest.
 */
process.env.WECHATY_LOG ??= 'silent'

import { writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Writable } from 'node:stream'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { silentLogger } from '../src/log/logger.js'
import { startApp } from '../src/runtime/App.js'
import { segment } from '../src/store/Store.js'
import { freePort } from '../tests/helpers/PuppetService.js'
import { fmt, median, percentile, tempDir } from './lib.js'
import { siyuRound } from './pipeline.js'

const TOKEN = 'bench-console-token-0123456789'
const GROUPS = 100
const DAYS = 365
const quiet = () => new Writable({ write: (_c, _e, cb) => cb() })

/** Time to first byte: fetch resolves once the status line and headers are in. */
async function ttfb(url: string, n: number): Promise<{ p50: number; p99: number; bytes: number }> {
  const times: number[] = []
  let bytes = 0
  for (let i = 0; i < n; i++) {
    const t0 = performance.now()
    const res = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })
    times.push(performance.now() - t0)
    if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`)
    bytes = (await res.arrayBuffer()).byteLength
  }
  return { p50: percentile(times, 50), p99: percentile(times, 99), bytes }
}

/** 100 groups, a room each, a year of daily stats in every room; the console on a free port. */
export async function consolePages(requests = 200): Promise<Array<[string, { p50: number; p99: number; bytes: number }]>> {
  const { dir, cleanup } = await tempDir('siyu-bench-console-')
  const groups = Array.from({ length: GROUPS }, (_, i) => `  - name: g${i}\n    match: { topic: "g${i}-*" }\n    skills: { checkin: {}, live: {} }`).join('\n')
  await writeFile(join(dir, 'bot.yaml'), `bot:\n  admins: [wxid_admin]\nconsole:\n  port: ${await freePort()}\n  tokenEnv: SIYU_BENCH_CONSOLE_TOKEN\ngroups:\n${groups}\n`)
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  puppet.on('error', () => {})
  const bot = mocker.createContact({ name: 'siyu', id: 'wxid_bench_bot' })
  const members = Array.from({ length: 20 }, (_, i) => mocker.createContact({ name: `m${i}`, id: `wxid_m${i}` }))
  for (let g = 0; g < GROUPS; g++) mocker.createRoom({ id: `g${g}@chatroom`, topic: `g${g}-群`, memberIdList: [bot.id, ...members.map((m) => m.id)] })
  const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_BENCH_CONSOLE_TOKEN: TOKEN }, log: silentLogger, puppet, stdout: quiet() })
  mocker.login(bot)
  await app.runtime.ready
  try {
    process.stderr.write('console pages: seeding a year of stats\n')
    // a year of numbers for every room: 36,500 stats records
    const time = app.engine.time
    let day = time.dayKey(Date.now())
    for (let d = 0; d < DAYS; d++) {
      for (let g = 0; g < GROUPS; g++) {
        const n = (g + d) % 17
        app.store.set(`core/stats/${segment(`g${g}`)}/${day}/${segment(`g${g}@chatroom`)}`, { messages: 50 + n, joins: n % 5, leaves: n % 3, checkins: 10 + n, answeredByRules: n, answeredByModel: n % 4, handedOff: n % 2 })
      }
      day = time.previousDay(day)
    }
    await app.store.durable()
    const base = app.console!.url
    const out: Array<[string, { p50: number; p99: number; bytes: number }]> = []
    for (const [name, path] of [
      ['page /', '/'],
      ['page script /app.js', '/app.js'],
      ['ECharts module (1.1 MB)', '/vendor/echarts/echarts.esm.min.mjs'],
      ['GET /api/groups (100 groups)', '/api/groups'],
      ['GET /api/stats?days=30', '/api/stats?group=g50&days=30'],
      ['GET /api/stats?days=365', '/api/stats?group=g50&days=365'],
      ['GET /metrics', '/metrics'],
    ] as const) {
      process.stderr.write(`console pages: ${name}\n`)
      await ttfb(base + path, 5) // warm
      out.push([name, await ttfb(base + path, requests)])
    }
    return out
  } finally {
    await app.stop()
    await cleanup()
  }
}

/** What an open console page and a Prometheus scraper ask, every `everyMs`, until stopped. */
function poller(everyMs: number): (base: string) => () => Promise<number> {
  return (base) => {
    let stopped = false
    let polls = 0
    const loop = (async () => {
      while (!stopped) {
        for (const p of ['/api/groups', '/api/stats?group=bench&days=30', '/api/handoffs?status=open', '/api/lives', '/metrics']) {
          const res = await fetch(base + p, { headers: { authorization: `Bearer ${TOKEN}` } })
          await res.arrayBuffer()
          polls++
        }
        await new Promise((r) => setTimeout(r, everyMs))
      }
    })()
    return async () => {
      stopped = true
      await loop
      return polls
    }
  }
}

export async function pipelineWithConsole(rounds: number) {
  const without: number[] = []
  const withConsole: number[] = []
  const p99Without: number[] = []
  const p99With: number[] = []
  for (let i = 0; i < rounds; i++) {
    process.stderr.write(`console vs none: round ${i + 1}/${rounds}\n`)
    const a = await siyuRound()
    without.push(a.perSecond)
    p99Without.push(a.p99)
    const b = await siyuRound({ consolePort: await freePort(), env: { SIYU_BENCH_CONSOLE_TOKEN: TOKEN }, during: poller(250) })
    withConsole.push(b.perSecond)
    p99With.push(b.p99)
  }
  return { without: median(without), withConsole: median(withConsole), p99Without: median(p99Without), p99With: median(p99With) }
}

/** The rows bench/run.ts adds to RESULTS.md. */
export async function consoleRows(rounds: number): Promise<string[][]> {
  const pages = await consolePages()
  const pipe = await pipelineWithConsole(rounds)
  return [
    ['Console: 100 groups × 365 days of stats, 200 sequential requests each, time to first byte', 'p50 ms', 'p99 ms', 'bytes'],
    ...pages.map(([name, r]) => [`  ${name}`, fmt(r.p50, 2), fmt(r.p99, 2), fmt(r.bytes, 0)]),
    ['Pipeline (as above) with the console open and polled every 250 ms (5 API calls + scrape)', 'console', 'no console', ''],
    ['  messages/s', fmt(pipe.withConsole, 0), fmt(pipe.without, 0), `${fmt(pipe.withConsole / pipe.without, 3)}×`],
    ['  p99 event → reply at puppet (ms)', fmt(pipe.p99With), fmt(pipe.p99Without), `${fmt(pipe.p99With / pipe.p99Without, 2)}×`],
  ]
}

if (import.meta.url === pathToFileURL(resolve(process.argv[1] ?? '')).href) {
  const rows = await consoleRows(Number(process.env.BENCH_ROUNDS ?? 3))
  console.log(['| measure | | | |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'))
  process.exit(0)
}
