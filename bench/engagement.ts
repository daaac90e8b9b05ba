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

export async function engagementRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const on: RushResult[] = []
  const off: RushResult[] = []
  const pOn: PipelineResult[] = []
  const pOff: PipelineResult[] = []
  for (let i = 0; i < rounds; i++) {
    log(`engagement: round ${i + 1}/${rounds}`)
    // alternating, so a noisy neighbour hurts both sides alike
    off.push(await rushChild(false))
    on.push(await rushChild(true))
    pOff.push(await siyuRound())
    pOn.push(await siyuRound({ config: benchConfig().replace('checkin: {}', `checkin: ${ACTIVITY_ON}`) }))
  }
  const m = <T>(rs: T[], f: (r: T) => number) => median(rs.map(f))
  const s = (ms: number) => fmt(ms / 1000, 1)
  const delays = (rs: RushResult[]) => `${s(m(rs, (r) => r.delayP50Ms))} / ${s(m(rs, (r) => r.delayP90Ms))} / ${s(m(rs, (r) => r.delayMaxMs))}`
  const rateOn = m(pOn, (r) => r.perSecond)
  const rateOff = m(pOff, (r) => r.perSecond)
  return [
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
