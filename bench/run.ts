/**
 * `npm run bench`: prints a markdown table and writes it to bench/RESULTS.md. Every
 * comparison is measured side by side in this run, alternating, several rounds; medians and
 * ratios are reported (the machines are noisy). Not a test: nothing here passes or fails.
 */
process.env.WECHATY_LOG ??= 'silent'

import { execFile } from 'node:child_process'
import { cp, readFile, writeFile } from 'node:fs/promises'
import { availableParallelism, cpus } from 'node:os'
import { join } from 'node:path'
import { fmt, median, tempDir } from './lib.js'

const { siyuRound, bareRound, benchConfig } = await import('./pipeline.js')
const { siyuBurst, naiveBurst } = await import('./checkinBurst.js')
const { matchingRound } = await import('./matching.js')
const { timersRound } = await import('./timers.js')
const { rushRows } = await import('./rush.js')
const { everySkillRows } = await import('./rushEverySkill.js')
const { redemptionBurst, checkinBurstSameWorld } = await import('./shopBurst.js')
const { journalText, openWithJournal, parseMs } = await import('./journalReplay.js')
const { consoleRows } = await import('./console.js')
const { guardRows, GUARD_SECTION } = await import('./guard.js')
const { postsRows } = await import('./posts.js')
const { membersRows } = await import('./members.js')
const { engagementRows } = await import('./engagement.js')
const { startupRows } = await import('./startup.js')

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
/** `BENCH_ONLY=shop,checkin` runs those sections and prints them without touching RESULTS.md. */
const ONLY = process.env.BENCH_ONLY?.split(',').map((s) => s.trim())
const wanted = (section: string): boolean => !ONLY || ONLY.includes(section)
const rows: string[][] = []
const log = (s: string) => process.stderr.write(`${s}\n`)
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`

async function rounds<T>(name: string, n: number, fn: (i: number) => Promise<T> | T): Promise<T[]> {
  const out: T[] = []
  for (let i = 0; i < n; i++) {
    log(`${name}: round ${i + 1}/${n}`)
    out.push(await fn(i))
  }
  return out
}

// 1. pipeline: siyu and a bare Wechaty bot, alternating on fresh mocks
if (wanted('pipeline')) {
  const siyu: Awaited<ReturnType<typeof siyuRound>>[] = []
  const bare: Awaited<ReturnType<typeof bareRound>>[] = []
  await rounds('pipeline', ROUNDS, async () => {
    bare.push(await bareRound())
    // every skill, guard included (issue 25: the target is against the bare bot with guard on)
    siyu.push(await siyuRound({ config: benchConfig(GUARD_SECTION) }))
  })
  const m = (xs: typeof siyu, f: (r: (typeof siyu)[number]) => number) => median(xs.map(f))
  const sRate = m(siyu, (r) => r.perSecond)
  const bRate = m(bare, (r) => r.perSecond)
  rows.push(
    ['Pipeline: 20,000 messages, 50 groups × 200 members, every skill (guard too), 1,000 rules, limits off', '', 'bare Wechaty', ''],
    ['  messages/s', fmt(sRate, 0), fmt(bRate, 0), `${fmt(sRate / bRate, 2)}×`],
    ['  p50 event → reply at puppet (ms)', fmt(m(siyu, (r) => r.p50)), fmt(m(bare, (r) => r.p50)), `${fmt(m(siyu, (r) => r.p50) / m(bare, (r) => r.p50), 1)}×`],
    ['  p99 event → reply at puppet (ms)', fmt(m(siyu, (r) => r.p99)), fmt(m(bare, (r) => r.p99)), `${fmt(m(siyu, (r) => r.p99) / m(bare, (r) => r.p99), 1)}×`],
    ['  messages sent for 20,000 answers', fmt(m(siyu, (r) => r.botMessages), 0), fmt(m(bare, (r) => r.botMessages), 0), ''],
  )
}

// 2. check-in burst: siyu's group commit against lowdb written once per check-in
if (wanted('checkin')) {
  const siyu: Awaited<ReturnType<typeof siyuBurst>>[] = []
  const naive: Awaited<ReturnType<typeof naiveBurst>>[] = []
  await rounds('check-in burst', ROUNDS, async () => {
    siyu.push(await siyuBurst())
    naive.push(await naiveBurst())
  })
  const s = median(siyu.map((r) => r.seconds))
  const n = median(naive.map((r) => r.seconds))
  rows.push(
    ['Check-in burst: 10,000 distinct members, 50 groups, until all on disk and acknowledged', '', 'naive lowdb', ''],
    ['  seconds', fmt(s, 2), fmt(n, 2), `${fmt(n / s, 0)}× faster`],
    ['  durable file writes (siyu) / lowdb write() calls (naive)', fmt(median(siyu.map((r) => r.writes)), 0), fmt(median(naive.map((r) => r.writes)), 0), ''],
    ['  messages sent for 10,000 acknowledgements', fmt(median(siyu.map((r) => r.botMessages)), 0), fmt(median(naive.map((r) => r.botMessages)), 0), ''],
  )
}

// 3. store scale: start-up, memory and time per check-in with 10k and 100k members on disk
if (wanted('scale')) {
  const script = join(import.meta.dirname, 'storeScale.ts')
  const node = (args: string[]): Promise<Record<string, number>> =>
    new Promise((resolve, reject) =>
      execFile(process.execPath, ['--import', 'tsx', script, ...args], (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout) as Record<string, number>),
      ),
    )
  rows.push(['Store scale (child process per round; fsync on this disk)', '10,000 members', '100,000 members', ''])
  const results: Array<Record<string, number>[]> = []
  const sizes: number[] = []
  for (const n of [10_000, 100_000]) {
    const { dir, cleanup } = await tempDir('siyu-scale-')
    log(`store scale: generating ${n} members`)
    const gen = await node(['generate', join(dir, 'seed'), String(n)])
    sizes.push(gen.bytes!)
    results.push(
      await rounds(`store scale ${n}`, ROUNDS, async (i) => {
        const copy = join(dir, `round${i}`)
        await cp(join(dir, 'seed'), copy, { recursive: true })
        return node(['measure', copy])
      }),
    )
    await cleanup()
  }
  const col = (k: string, f: (v: number) => string) => results.map((rs) => f(median(rs.map((r) => r[k]!))))
  rows.push(
    ['  data on disk', ...sizes.map(mb), ''],
    ['  start-up: open + load + verify (ms)', ...col('startupMs', (v) => fmt(v, 0)), ''],
    ['  peak RSS', ...col('peakRss', mb), ''],
    ['  one check-in, durable before the next (ms, p50)', ...col('singleMsP50', (v) => fmt(v, 2)), ''],
    ['  per check-in in a burst of 5,000 (ms)', ...col('burstMsPerCheckin', (v) => fmt(v, 3)), ''],
    ['  a member\'s rank / the top 10 (ms)', ...results.map((rs) => `${fmt(median(rs.map((r) => r.rankMs!)), 1)} / ${fmt(median(rs.map((r) => r.topMs!)), 1)}`), ''],
  )
}

// 4. matching: the compiled matcher against the rules tried one by one
if (wanted('matching')) {
  const rs = await rounds('matching', ROUNDS, () => matchingRound())
  const c = median(rs.map((r) => r.usPerMessageCompiled))
  const n = median(rs.map((r) => r.usPerMessageNaive))
  rows.push(
    ['Matching: 1,000 rules (70% keywords, 20% exact, 10% regex), 10,000 messages', 'compiled', 'rule by rule', ''],
    ['  µs per message', fmt(c, 2), fmt(n, 2), `${fmt(n / c, 1)}× faster`],
    ['  same answers', rs.every((r) => r.agree) ? 'yes' : 'NO', '', ''],
  )
}

// 5. timers: 500 reminders due in the same instant, default rate limits
if (wanted('timers')) {
  const rs = await rounds('timers', ROUNDS, () => timersRound())
  rows.push(
    ['Timers: 500 reminders due at once in 50 groups, default rate limits', '', '', ''],
    ['  timer fired late by (ms, p50 / worst)', `${fmt(median(rs.map((r) => r.timerLateP50Ms)), 0)} / ${fmt(median(rs.map((r) => r.timerLateMaxMs)), 0)}`, '', ''],
    ['  last reminder reached the puppet after (s)', fmt(median(rs.map((r) => r.lastDeliveredLateMs)) / 1000, 1), '', ''],
    ['  messages for 500 reminders (merged per room)', fmt(median(rs.map((r) => r.botMessages)), 0), '', ''],
  )
}

// 6. a rush that lasts: the send queue's priorities against the queue before them (bench/rush.ts)
if (wanted('rush')) rows.push(...(await rushRows(ROUNDS, log)))

// 6b. the same rush, and a 10-minute soak, with every skill of the example config on (bench/rushEverySkill.ts, issue 27)
if (wanted('rushAll')) rows.push(...(await everySkillRows(ROUNDS, log)))

// 7. shop: a redemption burst against the same burst of check-ins, alternating
if (wanted('shop')) {
  const shop: Awaited<ReturnType<typeof redemptionBurst>>[] = []
  const checkin: Awaited<ReturnType<typeof checkinBurstSameWorld>>[] = []
  await rounds('redemption burst', ROUNDS, async () => {
    shop.push(await redemptionBurst())
    checkin.push(await checkinBurstSameWorld())
  })
  const s = median(shop.map((r) => r.seconds))
  const c = median(checkin.map((r) => r.seconds))
  rows.push(
    ['Redemption burst: 1,000 requests from 500 members (5 groups), stock 100, a code per order, until all answered on disk', '', 'same burst of check-ins', ''],
    ['  seconds to the last answer', fmt(s, 2), fmt(c, 2), `${fmt(s / c, 1)}× the check-ins`],
    ['  seconds to the last code delivered privately (100)', fmt(median(shop.map((r) => r.codesSeconds)), 2), '', ''],
    ['  messages sent in the rooms for 1,000 answers', fmt(median(shop.map((r) => r.botMessages)), 0), fmt(median(checkin.map((r) => r.botMessages)), 0), ''],
  )
}

// 8. a start with a full journal: linear replay, against the earlier quadratic loop
if (wanted('journal')) {
  rows.push(['Start with a full journal (one segment, one check-in per record)', 'linear (now)', 'quadratic (before)', ''])
  for (const n of [20_000, 40_000, 80_000]) {
    const text = journalText(n)
    const parsed = await rounds(`journal replay ${n}`, ROUNDS, (i) => parseMs(text, i === 0))
    const opened = await rounds(`open with journal ${n}`, ROUNDS, () => openWithJournal(n, text))
    const lin = median(parsed.map((r) => r.linearMs))
    const quad = parsed[0]!.quadraticMs!
    rows.push(
      [`  ${fmt(n, 0)} records (${mb(Buffer.byteLength(text))}): parse (ms)`, fmt(lin, 0), fmt(quad, 0), `${fmt(quad / lin, 0)}× faster`],
      [`  ${fmt(n, 0)} records: whole start, open + replay + checkpoint (ms)`, fmt(median(opened.map((r) => r.openMs)), 0), '', ''],
    )
  }
}

// 9. console: pages and stats with 100 groups × 365 days; the pipeline with the console polled
if (wanted('console')) rows.push(...(await consoleRows(ROUNDS)))

// 10. file store vs PostgreSQL at 100,000 (and, with BENCH_MILLION=1, 1,000,000) members; takeover
if (wanted('postgres')) {
  const { postgresRows } = await import('./pgRows.js')
  rows.push(...(await postgresRows(ROUNDS, log)))
}

// 11. guard: its cost per message against the pipeline's, and a 200-member flood (bench/guard.ts)
if (wanted('guard')) rows.push(...(await guardRows(ROUNDS, log)))

// 12. posts: one post to 30 groups × 3 rooms under the default limits; the pipeline with 200 posts scheduled (bench/posts.ts)
if (wanted('posts')) rows.push(...(await postsRows(ROUNDS, log)))
// 13. the member record: 100,000 members in 200 rooms — the list, the CSV, churn; a year on disk (bench/members.ts)
if (wanted('members')) rows.push(...(await membersRows(log)))
// 14. engagement: activity points in the rush and in the pipeline, on against off (bench/engagement.ts)
if (wanted('engagement')) rows.push(...(await engagementRows(ROUNDS, log)))
// 15. start-up: the compiled dist/ against tsx transpiling at start, spawn → sandbox banner, ABBA (bench/startup.ts)
if (wanted('startup')) rows.push(...(await startupRows(ROUNDS, log)))

const header = `# siyu bench — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC

node ${process.version}, ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown cpu'}), ${ROUNDS} rounds, medians.
In-process PuppetMock for 1, 2, 5 and 7; child processes for 3 and 6 (6 on a fake clock); 8–10 in process (10 against a throwaway PostgreSQL). Re-run: \`npm run bench\`.
`
const table = ['| measure | siyu | baseline | ratio |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n')
// what people wrote below the marker (findings, one-off runs) is kept across runs
const NOTES = '<!-- findings: kept across bench runs -->'
const old = await readFile(join(import.meta.dirname, 'RESULTS.md'), 'utf8').catch(() => '')
const notes = old.includes(NOTES) ? old.slice(old.indexOf(NOTES)) : ''
const text = `${header}\n${table}\n${notes ? `\n${notes}` : ''}`
console.log(text)
if (!ONLY) await writeFile(join(import.meta.dirname, 'RESULTS.md'), text)
process.exit(0)
