/**
 * The rush with every skill of the example config on (issue 27), in a child process per run so
 * peak RSS is its own:
 *   node --import tsx bench/rushEverySkill.ts <rush|soak> [seconds] [drainSeconds]
 * prints one JSON line; `node --import tsx bench/rushEverySkill.ts table [rounds]` prints the
 * section's rows.
 *
 * The example's own YAML (config/bot.example.yaml: welcome, checkin, tags, points, guard,
 * autoreply, live, shop in the fan rooms; gate in the VIP and join groups), its limits
 * (20/room/min, 60/min), 5 fan rooms × 100 members who hold 300 points each, and the mix of
 * tests/helpers/rushMix.ts: check-ins (each member once), questions, the catalog, redemptions,
 * 我的兑换, 我的标签, subscriptions, the live list, points, the leaderboard, chatter, a link card
 * now and then, and a newcomer joining every 20 s. Through the real engine, skills, store (in
 * memory) and send queue on a FakeClock, so ten minutes take seconds.
 *
 * - `rush`: 50 messages/s for 240 s (the rituals-only rush of bench/rush.ts, with every skill).
 * - `soak`: 2 messages/s per room (10/s) for 600 s — the run.
 * Then the bot keeps running quietly for `drainSeconds` (default 120: every owed text's
 * delay), and stops as `App.stop` does.
 */
import { execFile } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import pino from 'pino'
import { FakeClock } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import { SendQueue, type SendKind, type Transport } from '../src/send/SendQueue.js'
import { MemoryAdapter } from '../src/store/MemoryAdapter.js'
import { Store } from '../src/store/Store.js'
import { SKILLS } from '../skills/index.js'
import { orderBook } from '../skills/shop/Orders.js'
import { FakeActions } from '../tests/helpers/fakeActions.js'
import {
  CHECKIN_LINE,
  couponCodes,
  exampleRushConfig,
  REDEEM_LINE,
  rushMemberId,
  rushMemberName,
  rushTopic,
  rushTraffic,
  SEED_POINTS,
  type RushWhat,
} from '../tests/helpers/rushMix.js'
import { fmt, median, percentile, tempDir } from './lib.js'

const ROOMS = 5
const MEMBERS = 100
const TICK_MS = 100
const ADMIN = 'wxid_admin'
const POOL = 'sisley'
const GROUP = 'sisley-fans'
const JOIN_EVERY_MS = 20_000

export const SCENARIOS = {
  // orders at about the same pace in both (~20 asks a minute): see rushTraffic's redeemPercent
  rush: { perSecond: 50, seconds: 240, redeemPercent: 0.8 },
  soak: { perSecond: 2 * ROOMS, seconds: 600, redeemPercent: 4 },
} as const
export type Scenario = keyof typeof SCENARIOS

export interface EverySkillResult {
  messages: number
  checkins: number
  checkinsConfirmed: number
  /** A check-in confirmed in more than one line (must be 0). */
  checkinsConfirmedTwice: number
  checkinP50Ms: number
  checkinP90Ms: number
  checkinMaxMs: number
  orders: number
  ordersConfirmed: number
  ordersConfirmedTwice: number
  orderMaxMs: number
  /** Codes that reached the member privately / of the coupon orders. */
  codesSent: number
  codeOrders: number
  codeMaxMs: number
  /** Confirmed (check-in or order) more than 2 minutes after the member's message. */
  lateOver2Min: number
  /** Informational replies asked for (one per member message answered with one). */
  infoAsked: number
  /** Askers joined into a reply already waiting (coalesced), and informational replies dropped. */
  coalesced: number
  droppedInfo: number
  droppedOwed: number
  /** What `#stats` shows as 高峰时未能及时发出而放弃的回复, all rooms. */
  statsRepliesDropped: number
  /** Most texts waiting in the queue at any time. */
  maxWaiting: number
  roomMessages: number
  privateMessages: number
  /** RSS after the first quarter of the run, at the end of it, and the peak. */
  rssQuarter: number
  rssEnd: number
  peakRss: number
  wallSeconds: number
}

export async function everySkillRush(scenario: Scenario, seconds: number = SCENARIOS[scenario].seconds, drainSeconds = 120): Promise<EverySkillResult> {
  const t0 = performance.now()
  const { perSecond, redeemPercent } = SCENARIOS[scenario]
  const clock = new FakeClock(Date.UTC(2026, 10, 26, 12, 0, 0))
  const { dir, cleanup } = await tempDir('siyu-rush-all-')
  const codesFile = join(dir, 'coupon.txt')
  await writeFile(codesFile, couponCodes(20_000))
  const config = parseConfig('bot.example.yaml', exampleRushConfig({ codesFile, admin: ADMIN }), SKILLS, clock.now())
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter, { clock })
  const log = pino({ level: process.env.RUSH_DEBUG ? 'info' : 'warn' }, { write: (s: string) => void (process.env.RUSH_DEBUG && process.stderr.write(s)) })

  const sent: Array<{ at: number; to: string; text: string }> = []
  const transport: Transport = { send: async (to, text) => void sent.push({ at: clock.now(), to, text }) }
  const queue = new SendQueue(transport, { clock, limits: config.bot.rateLimit, log })
  const dropped: Record<SendKind, number> = { owed: 0, info: 0, scheduled: 0 }
  let infoAsked = 0
  const enqueue = queue.enqueue.bind(queue)
  queue.enqueue = (to, segments, o) => {
    const kind = o.kind
    if (kind === 'info') infoAsked++
    return enqueue(to, segments, o).then((r) => {
      if (!r.sent && !r.coalesced) dropped[kind]++
      return r
    })
  }

  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log, ai: undefined }, config)
  engine.setActions(new FakeActions(clock))
  engine.markRoomsReady()
  const rooms = Array.from({ length: ROOMS }, (_, r) => {
    const room = { id: `fans${r}@chatroom`, topic: rushTopic(r) }
    engine.rooms.upsert(room)
    return room
  })
  // the brand's history: every member holds some points (the tags hook gives 百分粉)
  const points = engine.points(POOL)
  const day = engine.time.dayKey(clock.now())
  for (let r = 0; r < ROOMS; r++) {
    for (let i = 0; i < MEMBERS; i++) points.change(rushMemberId(r, i), SEED_POINTS, 'adjust', { now: clock.now(), day, group: GROUP, name: rushMemberName(r, i), note: 'seed' })
  }
  await store.durable()

  const steps = rushTraffic({ rooms: ROOMS, members: MEMBERS, perSecond, seconds, redeemPercent })
  const checkedInAt = new Map<string, number>()
  const counts: Partial<Record<RushWhat, number>> = {}
  let peakRss = process.memoryUsage().rss
  let rssQuarter = 0
  let maxWaiting = 0
  const end = seconds * 1000
  let next = 0
  let joined = 0
  for (let t = 0; t < end; t += TICK_MS) {
    const handled: Promise<void>[] = []
    for (; next < steps.length && steps[next]!.at < t + TICK_MS; next++) {
      const s = steps[next]!
      const room = rooms[s.room]!
      const talker = { id: rushMemberId(s.room, s.member), name: rushMemberName(s.room, s.member) }
      counts[s.what] = (counts[s.what] ?? 0) + 1
      if (s.what === 'checkin') checkedInAt.set(talker.name, clock.now())
      const message =
        s.what === 'link'
          ? { id: `m${next}`, kind: 'url' as const, card: { type: 'Url', url: `https://spam.example.com/${next}`, title: '限时秒杀' }, text: '', textWithoutMentions: '', mentionsBot: false, mentionIds: [], date: clock.now() }
          : { id: `m${next}`, text: s.text, textWithoutMentions: s.text, mentionsBot: false, mentionIds: [], date: clock.now() }
      handled.push(engine.handleMessage({ room, talker, message }))
    }
    if (t > 0 && t % JOIN_EVERY_MS === 0) {
      const r = joined % ROOMS
      handled.push(engine.handleJoin({ room: rooms[r]!, members: [{ id: `wxid_new${joined}`, name: `新人${joined}` }], memberCount: MEMBERS + 1 + joined++ }))
    }
    await Promise.all(handled)
    await clock.advance(TICK_MS)
    maxWaiting = Math.max(maxWaiting, queue.pending)
    if (t % 5_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
    if (rssQuarter === 0 && t >= end / 4) rssQuarter = process.memoryUsage().rss
  }
  const rssEnd = process.memoryUsage().rss
  for (let t = 0; t < drainSeconds * 1000; t += 1000) {
    await clock.advance(1000)
    maxWaiting = Math.max(maxWaiting, queue.pending)
  }

  // stop as App.stop does: 2 s of grace, then what is left is dropped
  const closing = queue.close(2_000)
  await clock.advance(2_500)
  await closing
  await clock.advance(1_000)
  engine.stop()
  peakRss = Math.max(peakRss, process.memoryUsage().rss)

  // confirmations, line by line: the first time and how many times each was confirmed
  const checkinLines = new Map<string, number[]>()
  const orderLines = new Map<string, number[]>()
  const codeAt = new Map<string, number>()
  for (const s of sent) {
    if (s.text.startsWith('【兑换券码】')) {
      const order = /订单 (\d+)/.exec(s.text)?.[1]
      if (order && !codeAt.has(order)) codeAt.set(order, s.at)
    }
    for (const line of s.text.split('\n')) {
      const c = CHECKIN_LINE.exec(line)
      if (c) (checkinLines.get(c[1]!) ?? checkinLines.set(c[1]!, []).get(c[1]!)!).push(s.at)
      const o = REDEEM_LINE.exec(line)
      if (o) (orderLines.get(o[2]!) ?? orderLines.set(o[2]!, []).get(o[2]!)!).push(s.at)
    }
  }
  const checkinDelays = [...checkedInAt].flatMap(([name, at]) => (checkinLines.has(name) ? [checkinLines.get(name)![0]! - at] : []))
  const orders = orderBook(store, POOL).all()
  const orderDelays = orders.flatMap((o) => (orderLines.has(o.id) ? [orderLines.get(o.id)![0]! - o.at] : []))
  const codeOrders = orders.filter((o) => o.delivery === 'codes')
  const codeDelays = codeOrders.flatMap((o) => (codeAt.has(o.id) ? [codeAt.get(o.id)! - o.at] : []))
  const statsDropped = rooms.reduce((n, r) => n + (engine.stats.forRoom(GROUP, r.id, day).repliesDropped ?? 0), 0)
  await cleanup()
  return {
    messages: steps.length,
    checkins: checkedInAt.size,
    checkinsConfirmed: checkinDelays.length,
    checkinsConfirmedTwice: [...checkinLines.values()].filter((l) => l.length > 1).length,
    checkinP50Ms: checkinDelays.length ? percentile(checkinDelays, 50) : NaN,
    checkinP90Ms: checkinDelays.length ? percentile(checkinDelays, 90) : NaN,
    checkinMaxMs: checkinDelays.length ? Math.max(...checkinDelays) : NaN,
    orders: orders.length,
    ordersConfirmed: orderDelays.length,
    ordersConfirmedTwice: [...orderLines.values()].filter((l) => l.length > 1).length,
    orderMaxMs: orderDelays.length ? Math.max(...orderDelays) : NaN,
    codesSent: codeDelays.length,
    codeOrders: codeOrders.length,
    codeMaxMs: codeDelays.length ? Math.max(...codeDelays) : NaN,
    lateOver2Min: [...checkinDelays, ...orderDelays].filter((d) => d > 120_000).length,
    infoAsked,
    coalesced: queue.stats.coalesced,
    droppedInfo: dropped.info,
    droppedOwed: dropped.owed + dropped.scheduled,
    statsRepliesDropped: statsDropped,
    maxWaiting,
    roomMessages: sent.filter((s) => s.to.endsWith('@chatroom')).length,
    privateMessages: sent.filter((s) => !s.to.endsWith('@chatroom')).length,
    rssQuarter,
    rssEnd,
    peakRss,
    wallSeconds: (performance.now() - t0) / 1000,
  }
}

function runChild(scenario: Scenario): Promise<EverySkillResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'rushEverySkill.ts'), scenario], { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as EverySkillResult),
    ),
  )
}

/** The rows of RESULTS.md's every-skill rush section: the rush and the soak, `rounds` each. */
export async function everySkillRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const runs: Record<Scenario, EverySkillResult[]> = { rush: [], soak: [] }
  for (let i = 0; i < rounds; i++) {
    log(`every-skill rush: round ${i + 1}/${rounds}`)
    for (const s of ['rush', 'soak'] as const) runs[s].push(await runChild(s))
  }
  type K = keyof EverySkillResult
  const m = (s: Scenario, k: K) => median(runs[s].map((r) => r[k]))
  const n = (v: number) => fmt(v, 0)
  const sec = (ms: number) => fmt(ms / 1000, 1)
  const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`
  const both = (f: (s: Scenario) => string) => [f('rush'), f('soak')]
  return [
    ['Rush with every skill of the example on (welcome, checkin, tags, points, guard, autoreply, live, shop, gate), 5 rooms × 100, 20/room/min, 60/min, realistic mix (fake clock, child process per run)', '50 msgs/s, 240 s', '10 msgs/s (2/room), 600 s', ''],
    ['  check-ins confirmed / of (each once; confirmed twice)', ...both((s) => `${n(m(s, 'checkinsConfirmed'))} / ${n(m(s, 'checkins'))} (${n(m(s, 'checkinsConfirmedTwice'))})`), ''],
    ['  check-in confirmation delay p50 / p90 / max (s)', ...both((s) => `${sec(m(s, 'checkinP50Ms'))} / ${sec(m(s, 'checkinP90Ms'))} / ${sec(m(s, 'checkinMaxMs'))}`), ''],
    ['  redemptions (orders) confirmed / placed; slowest (s)', ...both((s) => `${n(m(s, 'ordersConfirmed'))} / ${n(m(s, 'orders'))}; ${sec(m(s, 'orderMaxMs'))}`), ''],
    ['  coupon codes delivered privately / coupon orders; slowest (s)', ...both((s) => `${n(m(s, 'codesSent'))} / ${n(m(s, 'codeOrders'))}; ${sec(m(s, 'codeMaxMs'))}`), ''],
    ['  confirmations later than 2 min / owed texts dropped', ...both((s) => `${n(m(s, 'lateOver2Min'))} / ${n(m(s, 'droppedOwed'))}`), ''],
    ['  informational replies asked / coalesced into one waiting / dropped (#stats)', ...both((s) => `${n(m(s, 'infoAsked'))} / ${n(m(s, 'coalesced'))} / ${n(m(s, 'droppedInfo'))} (${n(m(s, 'statsRepliesDropped'))})`), ''],
    ['  most texts waiting at once', ...both((s) => n(m(s, 'maxWaiting'))), ''],
    ['  bot messages in rooms / privately', ...both((s) => `${n(m(s, 'roomMessages'))} / ${n(m(s, 'privateMessages'))}`), ''],
    ['  RSS after a quarter of the run / at its end / peak', ...both((s) => `${mb(m(s, 'rssQuarter'))} / ${mb(m(s, 'rssEnd'))} / ${mb(m(s, 'peakRss'))}`), ''],
    ['  wall time of one run (s)', ...both((s) => sec(m(s, 'wallSeconds') * 1000)), ''],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'table') {
    const rows = await everySkillRows(Number(process.argv[3] ?? 3), (s) => process.stderr.write(`${s}\n`))
    console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'))
  } else {
    const scenario: Scenario = process.argv[2] === 'soak' ? 'soak' : 'rush'
    const seconds = process.argv[3] ? Number(process.argv[3]) : undefined
    const drain = process.argv[4] ? Number(process.argv[4]) : undefined
    console.log(JSON.stringify(await everySkillRush(scenario, seconds, drain)))
  }
  process.exit(0)
}
