/**
 * Engagement's numbers (CONTRACT §12, bench/RESULTS.md):
 * - the rush of bench/rush.ts (50 msgs/s, 240 s, then 2 min more) with checkin.activity on
 *   and off: check-in confirmations must still come within 2 minutes;
 * - the pipeline of bench/pipeline.ts with checkin.activity on and off (every member's
 *   question counts: 10,000 awards, each a ledger entry): the rate within 5 %, as the median
 *   of on/off over pairs run back to back (ABBA, after a warm-up of each), in wall time and
 *   in the process's CPU time (which a busy neighbour on the machine inflates far less).
 *   node --import tsx bench/engagement.ts [rounds]
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { FakeClock } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import { silentLogger } from '../src/log/logger.js'
import { SendQueue } from '../src/send/SendQueue.js'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { Store } from '../src/store/Store.js'
import { SKILLS } from '../skills/index.js'
import { fmt, median, tempDir } from './lib.js'
import { benchConfig, MEMBERS, ROOMS, RULES, siyuRound, type PipelineResult } from './pipeline.js'
import type { RushResult } from './rush.js'

const ACTIVITY_ON = '{ activity: { points: 1, minLength: 5, cooldown: 60s, dailyCap: 10 } }'

function rushChild(activity: boolean): Promise<RushResult> {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'rush.ts'), 'new', '240', '120', activity ? 'activity' : 'off']
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as RushResult))),
  )
}

/**
 * The engine alone (no puppet, no Wechaty; the file store on disk, as the bot runs it): the
 * pipeline's traffic — a check-in, then a question, from each of 10,000 members in 50 rooms,
 * every question earning an activity point when on — a room's worth of messages per turn of
 * the event loop, so that the group commit runs between them as it does in the bot (handing
 * all 20,000 over in one turn would pile every change into one batch no bot ever sees). CPU
 * time, so a busy neighbour on the machine counts less than in wall time.
 */
export async function engineCpuMs(activity: boolean): Promise<number> {
  const clock = new FakeClock()
  const rules = Array.from({ length: RULES }, (_, i) => `          - { keywords: ["KW${i}Z"], reply: "{name} 答 ${i}" }`).join('\n')
  const yaml = `bot: { admins: [wxid_a], rateLimit: false }
groups:
  - name: b
    match: { topic: "b-*" }
    skills:
      checkin: ${activity ? ACTIVITY_ON : '{}'}
      autoreply:
        rules:
${rules}
`
  const { dir, cleanup } = await tempDir('siyu-engagement-')
  const adapter = new FileAdapter(dir)
  await adapter.open()
  const store = new Store(adapter)
  const queue = new SendQueue({ send: async () => {} }, { clock, limits: false })
  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log: silentLogger }, parseConfig('b.yaml', yaml, SKILLS, clock.now()))
  engine.markRoomsReady()
  const rooms = Array.from({ length: ROOMS }, (_, r) => ({ id: `r${r}@chatroom`, topic: `b-${r}` }))
  for (const r of rooms) engine.rooms.upsert(r)
  const c0 = process.cpuUsage()
  let k = 0
  const handled: Array<Promise<void>> = []
  for (const question of [false, true]) {
    for (let i = 0; i < MEMBERS; i++) {
      rooms.forEach((r, n) => {
        const text = question ? `请问 KW${(i * 7 + n * 13) % RULES}Z 什么时候有货？` : '签到'
        handled.push(engine.handleMessage({ room: r, talker: { id: `wxid_${r.id}_${i}`, name: `m${i}` }, message: { id: `m${k++}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() } }))
      })
      await new Promise((r) => setImmediate(r))
    }
  }
  await Promise.all(handled)
  await store.durable()
  const cpu = process.cpuUsage(c0)
  engine.stop()
  await queue.close(0)
  await store.close()
  await cleanup()
  return (cpu.user + cpu.system) / 1000
}

/** The median of on/off over pairs run back to back: each pair shares the machine's load of its moment. */
const medianRatio = (on: number[], off: number[]): number => median(on.map((x, i) => x / off[i]!))

export async function engagementRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const on: RushResult[] = []
  const off: RushResult[] = []
  const pOn: PipelineResult[] = []
  const pOff: PipelineResult[] = []
  const eOn: number[] = []
  const eOff: number[] = []
  const only = process.env.ENGAGEMENT_ONLY
  const pipelineRound = (a: boolean) => siyuRound(a ? { config: benchConfig().replace('checkin: {}', `checkin: ${ACTIVITY_ON}`) } : {})
  // a warm-up of each, not counted: the first round in a process pays for compiling the code both sides run
  if (!only || only === 'engine') for (const a of [false, true]) await engineCpuMs(a)
  if (!only || only === 'pipeline') for (const a of [false, true]) await pipelineRound(a)
  for (let i = 0; i < rounds; i++) {
    log(`engagement: round ${i + 1}/${rounds}`)
    // alternating (ABBA), so a noisy neighbour hurts both sides alike
    const order = i % 2 === 0 ? [false, true] : [true, false]
    for (const a of order) {
      if (!only || only === 'engine') (a ? eOn : eOff).push(await engineCpuMs(a))
      if (!only || only === 'pipeline') (a ? pOn : pOff).push(await pipelineRound(a))
      if (!only || only === 'rush') (a ? on : off).push(await rushChild(a))
    }
  }
  const m = <T>(rs: T[], f: (r: T) => number) => median(rs.map(f))
  const s = (ms: number) => fmt(ms / 1000, 1)
  const delays = (rs: RushResult[]) => `${s(m(rs, (r) => r.delayP50Ms))} / ${s(m(rs, (r) => r.delayP90Ms))} / ${s(m(rs, (r) => r.delayMaxMs))}`
  const perMsg = (ms: number) => (ms * 1000) / 20_000
  const own = median(eOn.map((x, i) => x - eOff[i]!)) * 1000 / 10_000
  const cpuRate = (r: PipelineResult) => r.messages / (r.cpuMs / 1000)
  return [
    ['Activity points, engine alone (the pipeline’s 20,000 messages, file store; 10,000 questions each earning a point when on; CPU time, ABBA)', 'activity on', 'activity off', ''],
    ['  µs per message', fmt(perMsg(median(eOn))), fmt(perMsg(median(eOff))), `${fmt(medianRatio(eOn, eOff), 3)}×`],
    ['  activity’s own cost per awarded message (median of the pairs’ differences)', fmt(own), '', ''],
    ['Activity points (checkin.activity) in the rush above: 50 msgs/s, 240 s + 2 min, most chatter counts', 'activity on', 'activity off', ''],
    ['  check-ins confirmed (of 500) / later than 2 min', `${fmt(m(on, (r) => r.confirmed), 0)} / ${fmt(m(on, (r) => r.lateOver2Min), 0)}`, `${fmt(m(off, (r) => r.confirmed), 0)} / ${fmt(m(off, (r) => r.lateOver2Min), 0)}`, ''],
    ['  confirmation delay p50 / p90 / max (s)', delays(on), delays(off), ''],
    ['  bot messages sent (activity points say nothing)', fmt(m(on, (r) => r.botMessages), 0), fmt(m(off, (r) => r.botMessages), 0), ''],
    ['  peak RSS', `${fmt(m(on, (r) => r.peakRss) / 1024 / 1024, 0)} MB`, `${fmt(m(off, (r) => r.peakRss) / 1024 / 1024, 0)} MB`, ''],
    ['Pipeline (as above) with checkin.activity on: 10,000 questions each earning a point (ratio: median of the ABBA pairs’ on/off)', 'activity on', 'activity off', ''],
    ['  messages/s (wall time)', fmt(m(pOn, (r) => r.perSecond), 0), fmt(m(pOff, (r) => r.perSecond), 0), `${fmt(medianRatio(pOn.map((r) => r.perSecond), pOff.map((r) => r.perSecond)), 3)}×`],
    ['  messages per CPU-second (bot and mock, one process)', fmt(m(pOn, cpuRate), 0), fmt(m(pOff, cpuRate), 0), `${fmt(medianRatio(pOn.map(cpuRate), pOff.map(cpuRate)), 3)}×`],
    ['  p50 / p99 event → reply (ms)', `${fmt(m(pOn, (r) => r.p50))} / ${fmt(m(pOn, (r) => r.p99))}`, `${fmt(m(pOff, (r) => r.p50))} / ${fmt(m(pOff, (r) => r.p99))}`, ''],
    ['  every pair’s on/off (wall; CPU)', pOn.map((r, i) => `${fmt(r.perSecond / pOff[i]!.perSecond, 2)}; ${fmt(cpuRate(r) / cpuRate(pOff[i]!), 2)}`).join(' · '), '', ''],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.WECHATY_LOG ??= 'silent'
  const rows = await engagementRows(Number(process.argv[2] ?? 3), (s) => process.stderr.write(`${s}\n`))
  console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'))
  process.exit(0)
}
