/**
 * Engagement's numbers (CONTRACT §12, bench/RESULTS.md):
 * - the rush of bench/rush.ts (50 msgs/s, 240 s, then 2 min more) with checkin.activity on
 *   and off: check-in confirmations must still come within 2 minutes;
 * - the pipeline of bench/pipeline.ts with checkin.activity on and off (every member's
 *   question counts: 10,000 awards, each a ledger entry): the rate within 5 %.
 *   node --import tsx bench/engagement.ts [rounds]
 */
import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { FakeClock } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import { silentLogger } from '../src/log/logger.js'
import { SendQueue } from '../src/send/SendQueue.js'
import { MemoryAdapter } from '../src/store/MemoryAdapter.js'
import { Store } from '../src/store/Store.js'
import { SKILLS } from '../skills/index.js'
import { fmt, median } from './lib.js'
import { benchConfig, siyuRound, type PipelineResult } from './pipeline.js'
import type { RushResult } from './rush.js'

const ACTIVITY_ON = '{ activity: { points: 1, minLength: 5, cooldown: 60s, dailyCap: 10 } }'

function rushChild(activity: boolean): Promise<RushResult> {
  const args = ['--import', 'tsx', join(import.meta.dirname, 'rush.ts'), 'new', '240', '120', activity ? 'activity' : 'off']
  return new Promise((resolve, reject) =>
    execFile(process.execPath, args, (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as RushResult))),
  )
}

/**
 * The engine alone (no puppet, no Wechaty, the store in memory): 10,000 questions from 10,000
 * members in 50 rooms, every one earning an activity point when on. CPU time, so a busy
 * neighbour on the machine counts less than in wall time.
 */
export async function engineCpuMs(activity: boolean): Promise<number> {
  const clock = new FakeClock()
  const yaml = `bot: { admins: [wxid_a], rateLimit: false }
groups:
  - name: b
    match: { topic: "b-*" }
    skills:
      checkin: ${activity ? ACTIVITY_ON : '{}'}
      autoreply: { rules: [{ keywords: [KW1Z], reply: "x" }] }
`
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  const queue = new SendQueue({ send: async () => {} }, { clock, limits: false })
  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log: silentLogger }, parseConfig('b.yaml', yaml, SKILLS, clock.now()))
  engine.markRoomsReady()
  const rooms = Array.from({ length: 50 }, (_, r) => ({ id: `r${r}@chatroom`, topic: `b-${r}` }))
  for (const r of rooms) engine.rooms.upsert(r)
  const c0 = process.cpuUsage()
  let k = 0
  for (let i = 0; i < 200; i++) {
    for (const r of rooms) {
      const text = `请问 KW${(i * 7) % 1000}Z 什么时候有货？`
      await engine.handleMessage({ room: r, talker: { id: `wxid_${r.id}_${i}`, name: `m${i}` }, message: { id: `m${k++}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() } })
    }
  }
  await store.durable()
  const cpu = process.cpuUsage(c0)
  engine.stop()
  await queue.close(0)
  return (cpu.user + cpu.system) / 1000
}

export async function engagementRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const on: RushResult[] = []
  const off: RushResult[] = []
  const pOn: PipelineResult[] = []
  const pOff: PipelineResult[] = []
  const eOn: number[] = []
  const eOff: number[] = []
  const only = process.env.ENGAGEMENT_ONLY
  for (let i = 0; i < rounds; i++) {
    log(`engagement: round ${i + 1}/${rounds}`)
    // alternating (ABBA), so a noisy neighbour hurts both sides alike
    const order = i % 2 === 0 ? [false, true] : [true, false]
    for (const a of order) {
      if (!only || only === 'engine') (a ? eOn : eOff).push(await engineCpuMs(a))
      if (!only || only === 'pipeline') (a ? pOn : pOff).push(await siyuRound(a ? { config: benchConfig().replace('checkin: {}', `checkin: ${ACTIVITY_ON}`) } : {}))
      if (!only || only === 'rush') (a ? on : off).push(await rushChild(a))
    }
  }
  const m = <T>(rs: T[], f: (r: T) => number) => median(rs.map(f))
  const s = (ms: number) => fmt(ms / 1000, 1)
  const delays = (rs: RushResult[]) => `${s(m(rs, (r) => r.delayP50Ms))} / ${s(m(rs, (r) => r.delayP90Ms))} / ${s(m(rs, (r) => r.delayMaxMs))}`
  const rateOn = m(pOn, (r) => r.perSecond)
  const rateOff = m(pOff, (r) => r.perSecond)
  const perMsg = (ms: number) => (ms * 1000) / 10_000
  const pipelineUs = 1e6 / rateOff
  const own = eOn.length ? perMsg(median(eOn)) - perMsg(median(eOff)) : NaN
  return [
    ['Activity points, engine alone (10,000 questions, each earning a point when on; CPU time, ABBA)', 'activity on', 'activity off', ''],
    ['  µs per message', fmt(perMsg(median(eOn))), fmt(perMsg(median(eOff))), `+${fmt(own)} µs`],
    ['  activity’s own cost per awarded message, against the pipeline’s per message', fmt(own), fmt(pipelineUs), `${fmt((own / pipelineUs) * 100, 1)}%`],
    ['Activity points (checkin.activity) in the rush above: 50 msgs/s, 240 s + 2 min, most chatter counts', 'activity on', 'activity off', ''],
    ['  check-ins confirmed (of 500) / later than 2 min', `${fmt(m(on, (r) => r.confirmed), 0)} / ${fmt(m(on, (r) => r.lateOver2Min), 0)}`, `${fmt(m(off, (r) => r.confirmed), 0)} / ${fmt(m(off, (r) => r.lateOver2Min), 0)}`, ''],
    ['  confirmation delay p50 / p90 / max (s)', delays(on), delays(off), ''],
    ['  bot messages sent (activity points say nothing)', fmt(m(on, (r) => r.botMessages), 0), fmt(m(off, (r) => r.botMessages), 0), ''],
    ['  peak RSS', `${fmt(m(on, (r) => r.peakRss) / 1024 / 1024, 0)} MB`, `${fmt(m(off, (r) => r.peakRss) / 1024 / 1024, 0)} MB`, ''],
    ['Pipeline (as above) with checkin.activity on: 10,000 questions each earning a point', 'activity on', 'activity off', ''],
    ['  messages/s', fmt(rateOn, 0), fmt(rateOff, 0), `${fmt(rateOn / rateOff, 3)}×`],
    ['  p50 / p99 event → reply (ms)', `${fmt(m(pOn, (r) => r.p50))} / ${fmt(m(pOn, (r) => r.p99))}`, `${fmt(m(pOff, (r) => r.p50))} / ${fmt(m(pOff, (r) => r.p99))}`, ''],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.WECHATY_LOG ??= 'silent'
  const rows = await engagementRows(Number(process.argv[2] ?? 3), (s) => process.stderr.write(`${s}\n`))
  console.log(rows.map((r) => `| ${r.join(' | ')} |`).join('\n'))
  process.exit(0)
}
