/**
 * The rush of issue 13, run in a child process per round so peak RSS is its own:
 *   node --import tsx bench/rush.ts <new|old> [seconds]
 * prints one JSON line.
 *
 * 50 messages/s into 5 rooms of 100 for 240 s (签到 once per member, 我的积分, 直播预告, 预约,
 * a keyword question, 积分榜, chatter), the contract's limits (20/room/min, 60/min), through
 * the real engine, skills and store (in memory) on a FakeClock, so 4 minutes of rush take
 * seconds. At the end the bot stops as `App.stop` does (the queue gets 2 s of grace).
 *
 * `old` runs the same with the send queue as it was before the rush work: a copy kept in
 * bench/baseline/ (rather than git's history, so the comparison runs from a tarball too and
 * does not drift when src/send/ changes). It ignores the kinds the skills now declare.
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import pino from 'pino'
import { FakeClock } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import { SendQueue, type SendKind, type Transport } from '../src/send/SendQueue.js'
import { MemoryAdapter } from '../src/store/MemoryAdapter.js'
import { Store } from '../src/store/Store.js'
import { SKILLS } from '../skills/index.js'
import { SendQueue as OldSendQueue } from './baseline/SendQueue.old.js'
import { fmt, median, percentile } from './lib.js'

const ROOMS = 5
const MEMBERS = 100
const PER_SECOND = 50
const TICK_MS = 100
const OTHER = ['直播预告', '我的积分', '预约', '什么时候发货', '大家好', '直播预告', '积分榜', '哈哈哈']

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  rateLimit: { roomPerMinute: 20, totalPerMinute: 60 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      live:
        lives: [{ id: hot, title: 新品首发直播, start: "2026-12-01 20:00" }]
      autoreply:
        rules:
          - keywords: [发货]
            reply: 下单后 48 小时内发货
`

/** Activity points as the rush bench of engagement runs them: most chatter counts. */
export const ACTIVITY = '{ points: 1, minLength: 2, cooldown: 60s, dailyCap: 10 }'

export interface RushResult {
  checkins: number
  confirmed: number
  /** From the member's 签到 to the message confirming it, ms. */
  delayP50Ms: number
  delayP90Ms: number
  delayMaxMs: number
  /** Confirmed more than 2 minutes after the check-in. */
  lateOver2Min: number
  droppedOwed: number
  droppedInfo: number
  droppedScheduled: number
  /** Still queued when the rush ended (before the 2 s of grace at stop). */
  waitingAtEnd: number
  /** Log lines at warn or above written while stopping (the old queue's caller wrote one per dropped text: counted as such). */
  warnLinesAtStop: number
  botMessages: number
  peakRss: number
  wallSeconds: number
}

/**
 * `drainSeconds`: 0 stops right after the rush, as the run did (what is lost at a
 * stop); more keeps the bot running quietly that long first (every confirmation's delay).
 */
export async function rush(which: 'new' | 'old', seconds = 240, drainSeconds = 0, activity = false): Promise<RushResult> {
  const t0 = performance.now()
  const clock = new FakeClock(Date.UTC(2026, 10, 26, 12, 0, 0))
  // `activity`: checkin.activity on, counting every chatter text of 2+ characters (bench/engagement.ts)
  const config = parseConfig('rush.yaml', activity ? CONFIG.replace('checkin: {}', `checkin: { activity: ${ACTIVITY} }`) : CONFIG, SKILLS, clock.now())
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  let warnLines = 0
  const log = pino({ level: 'warn' }, { write: (s: string) => void (warnLines++, process.env.RUSH_DEBUG && process.stderr.write(s)) })

  const sent: Array<{ at: number; text: string }> = []
  const transport: Transport = { send: async (_to, text) => void sent.push({ at: clock.now(), text }) }
  const options = { clock, limits: config.bot.rateLimit, log }
  const queue = which === 'new' ? new SendQueue(transport, options) : (new OldSendQueue(transport, options) as unknown as SendQueue)
  // count what is dropped by the kind the skill declared (the old queue ignores it, the skills still say it)
  const dropped: Record<SendKind, number> = { owed: 0, info: 0, scheduled: 0 }
  const enqueue = queue.enqueue.bind(queue)
  queue.enqueue = (to, segments, o) =>
    enqueue(to, segments, o).then((r) => {
      if (!r.sent && !r.coalesced) dropped[o.kind]++
      return r
    })

  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log, ai: undefined }, config)
  engine.markRoomsReady()
  const rooms = Array.from({ length: ROOMS }, (_, r) => {
    const room = { id: `fans${r}@chatroom`, topic: `粉丝${r}群` }
    engine.rooms.upsert(room)
    return { room, members: Array.from({ length: MEMBERS }, (_, i) => ({ id: `wxid_r${r}m${i}`, name: `r${r}会员${i}` })) }
  })

  const checkedInAt = new Map<string, number>()
  let peakRss = process.memoryUsage().rss
  const total = PER_SECOND * seconds
  const rounds = Math.ceil(total / (ROOMS * MEMBERS))
  let k = 0
  for (let tick = 0; k < total; tick++) {
    const handled: Promise<void>[] = []
    for (let n = 0; n < (PER_SECOND * TICK_MS) / 1000 && k < total; n++, k++) {
      const r = k % ROOMS
      const j = Math.floor(k / ROOMS)
      const i = j % MEMBERS
      const round = Math.floor(j / MEMBERS)
      const member = rooms[r]!.members[i]!
      // every member checks in once, spread over the rush
      const text = round === i % rounds ? '签到' : OTHER[(k + round) % OTHER.length]!
      if (text === '签到') checkedInAt.set(member.name, clock.now())
      handled.push(
        engine.handleMessage({
          room: rooms[r]!.room,
          talker: member,
          message: { id: `m${k}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() },
        }),
      )
    }
    await Promise.all(handled)
    await clock.advance(TICK_MS)
    if (tick % 50 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }
  const waitingAtEnd = queue.pending
  for (let t = 0; t < drainSeconds * 1000; t += 1000) {
    await clock.advance(1000)
    if (t % 10_000 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss)
  }

  // stop as App.stop does: the queue gets 2 s of grace, then what is left is dropped
  const before = warnLines
  const droppedBefore = dropped.owed + dropped.info + dropped.scheduled
  const closing = queue.close(2_000)
  await clock.advance(2_500)
  await closing
  await clock.advance(1_000)
  engine.stop()
  peakRss = Math.max(peakRss, process.memoryUsage().rss)

  const confirmedAt = new Map<string, number>()
  for (const s of sent) {
    for (const line of s.text.split('\n')) {
      const m = /^(r\d+会员\d+) 签到成功/.exec(line)
      if (m && !confirmedAt.has(m[1]!)) confirmedAt.set(m[1]!, s.at)
    }
  }
  const delays = [...checkedInAt].flatMap(([name, at]) => (confirmedAt.has(name) ? [confirmedAt.get(name)! - at] : []))
  return {
    checkins: checkedInAt.size,
    confirmed: delays.length,
    delayP50Ms: delays.length ? percentile(delays, 50) : NaN,
    delayP90Ms: delays.length ? percentile(delays, 90) : NaN,
    delayMaxMs: delays.length ? Math.max(...delays) : NaN,
    lateOver2Min: delays.filter((d) => d > 120_000).length,
    droppedOwed: dropped.owed,
    droppedInfo: dropped.info,
    droppedScheduled: dropped.scheduled,
    waitingAtEnd,
    // before this change SkillContext warned once per text not sent; the new one leaves that to the queue's summary
    warnLinesAtStop: which === 'old' ? dropped.owed + dropped.info + dropped.scheduled - droppedBefore : warnLines - before,
    botMessages: sent.length,
    peakRss,
    wallSeconds: (performance.now() - t0) / 1000,
  }
}

/** One round in a child process (its own peak RSS). */
function runChild(which: 'new' | 'old', drain: number): Promise<RushResult> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'rush.ts'), which, '240', String(drain)], (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as RushResult),
    ),
  )
}

/** The rows of RESULTS.md's rush section: each variant stopped at once and after 2 more minutes, alternating. */
export async function rushRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const stop: Record<'new' | 'old', RushResult[]> = { new: [], old: [] }
  const drain: Record<'new' | 'old', RushResult[]> = { new: [], old: [] }
  for (let i = 0; i < rounds; i++) {
    log(`rush: round ${i + 1}/${rounds}`)
    for (const which of ['old', 'new'] as const) {
      stop[which].push(await runChild(which, 0))
      drain[which].push(await runChild(which, 120))
    }
  }
  type K = keyof RushResult
  const m = (rs: RushResult[], k: K) => median(rs.map((r) => r[k]))
  const n = (v: number) => fmt(v, 0)
  const both = (rs: typeof stop, k: K, f: (v: number) => string = n) => [f(m(rs.new, k)), f(m(rs.old, k))]
  const pair = (rs: RushResult[], a: K, b: K, f: (v: number) => string = n) => `${f(m(rs, a))} / ${f(m(rs, b))}`
  const s = (ms: number) => fmt(ms / 1000, 1)
  const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`
  const delays = (rs: RushResult[]) => `${s(m(rs, 'delayP50Ms'))} / ${s(m(rs, 'delayP90Ms'))} / ${s(m(rs, 'delayMaxMs'))}`
  return [
    ['Rush: 50 msgs/s into 5 rooms × 100 for 240 s, 20/room/min, 60/min (fake clock, real engine + skills, child process per run)', 'priorities', 'queue before', ''],
    ['  stopped right after the rush: check-ins confirmed (of 500)', ...both(stop, 'confirmed'), ''],
    ['  texts waiting when the rush ends', ...both(stop, 'waitingAtEnd'), `${fmt(m(stop.old, 'waitingAtEnd') / m(stop.new, 'waitingAtEnd'), 0)}× fewer`],
    ['  dropped owed / informational (in the rush and at the stop)', pair(stop.new, 'droppedOwed', 'droppedInfo'), pair(stop.old, 'droppedOwed', 'droppedInfo'), ''],
    ['  warn lines while stopping (before: one per text not sent)', ...both(stop, 'warnLinesAtStop'), ''],
    ['  bot messages sent', ...both(stop, 'botMessages'), ''],
    ['  peak RSS', ...both(stop, 'peakRss', mb), ''],
    ['  running 2 min more: confirmation delay p50 / p90 / max (s)', delays(drain.new), delays(drain.old), ''],
    ['  running 2 min more: check-ins confirmed / of them later than 2 min', pair(drain.new, 'confirmed', 'lateOver2Min'), pair(drain.old, 'confirmed', 'lateOver2Min'), ''],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  if (process.argv[2] === 'table') {
    // only this section: `node --import tsx bench/rush.ts table [rounds]`
    const rows = await rushRows(Number(process.argv[3] ?? 3), (s) => process.stderr.write(`${s}\n`))
    console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'))
  } else {
    const which = process.argv[2] === 'old' ? 'old' : 'new'
    const seconds = Number(process.argv[3] ?? 240)
    const drain = Number(process.argv[4] ?? 0)
    console.log(JSON.stringify(await rush(which, seconds, drain, process.argv[5] === 'activity')))
  }
  process.exit(0)
}
