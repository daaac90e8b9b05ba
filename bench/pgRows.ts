/**
 * Bench section 10: a pool of 100,000 (and, with BENCH_MILLION=1, 1,000,000) members from a
 * cold start, on the file store and on PostgreSQL (a throwaway cluster with fsync on, started
 * here with Debian's binaries), today's code side by side with the baseline's (main before
 * issue 25, a git worktree: bench/baseline/worktree.ts), each measurement in its own child
 * process (bench/startScale.ts); then the PostgreSQL takeover. Skipped with one line when
 * PostgreSQL cannot be started on this machine.
 */
import { execFile } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { pgAvailability, startPostgres } from '../tests/helpers/pgCluster.js'
import { BASELINE_COMMIT, baselineTree } from './baseline/worktree.js'
import { fmt, median, tempDir } from './lib.js'

type Result = Record<string, number>

const child = (root: string, args: string[], nodeFlags: string[] = []): Promise<Result> =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, [...nodeFlags, '--import', 'tsx', join(root, 'bench', 'startScale.ts'), ...args], { cwd: root, maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Result),
    ),
  )
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`
const s = (ms: number) => fmt(ms / 1000, 1)

export async function postgresRows(rounds: number, log: (s: string) => void): Promise<string[][]> {
  if (pgAvailability.reason) {
    log(`postgres bench SKIPPED: ${pgAvailability.reason}`)
    return [['File store vs PostgreSQL: skipped', pgAvailability.reason, '', '']]
  }
  const million = process.env.BENCH_MILLION === '1'
  const sizes = million ? [100_000, 1_000_000] : [100_000]
  const today = join(import.meta.dirname, '..')
  const base = await baselineTree()
  const cluster = await startPostgres({ fsync: true })
  const rows: string[][] = []
  try {
    for (const n of sizes) {
      // a million members: few rounds (each start is tens of seconds under load)
      const r = n >= 1_000_000 ? Math.min(rounds, Number(process.env.BENCH_MILLION_ROUNDS ?? 1)) : rounds
      const { dir, cleanup } = await tempDir('siyu-pgscale-')
      try {
        log(`pool of ${n}: generating (file store and PostgreSQL)`)
        const seedUrl = await cluster.freshDatabase()
        // one seed for both stores: made once in memory, written to each in bulk
        const gen = await child(today, ['generate', join(dir, 'seed'), String(n), seedUrl], ['--max-semi-space-size=64', '--max-old-space-size=16384'])
        log(`pool of ${n}: generated in ${s(gen.madeMs!)} s, written in ${s(gen.fileMs!)} s (file store) and ${s(gen.postgresMs!)} s (PostgreSQL)`)
        const runs: Record<'file' | 'pg', Record<'siyu' | 'base', Result[]>> = { file: { siyu: [], base: [] }, pg: { siyu: [], base: [] } }
        for (let i = 0; i < r; i++) {
          for (const [who, root] of [['siyu', today], ['base', base.dir]] as const) {
            log(`pool of ${n}: round ${i + 1}/${r}, ${who}`)
            // a restart's data dir: a copy with the files' times (as they were written), not a rewrite
            const copy = join(dir, `${who}${i}`)
            await cp(join(dir, 'seed'), copy, { recursive: true, preserveTimestamps: true })
            runs.file[who].push(await child(root, ['measure', copy]))
            runs.pg[who].push(await child(root, ['measure', await cluster.freshDatabase(seedUrl)]))
          }
        }
        const m = (rs: Result[], k: string) => median(rs.map((x) => x[k]!))
        for (const [store, label] of [['file', 'file store'], ['pg', 'PostgreSQL']] as const) {
          const row = (name: string, k: string, f: (v: number) => string, better: 'lower' | 'higher' = 'lower') => {
            const [a, b] = [m(runs[store].siyu, k), m(runs[store].base, k)]
            return [`  ${label}: ${name}`, f(a), f(b), better === 'lower' ? `${fmt(b / a, 1)}× less` : `${fmt(a / b, 1)}×`]
          }
          rows.push(
            [`A pool of ${fmt(n, 0)} members on the ${label}${store === 'pg' ? ' (fsync on, this machine, TCP 127.0.0.1)' : ''}, from a cold start; ${r} round${r > 1 ? 's' : ''}`, 'siyu', `baseline ${BASELINE_COMMIT}`, ''],
            ...(store === 'file' ? [['  data on disk', mb(gen.bytes!), '', '']] : []),
            row('start to answering: open, load the pool, one durable check-in (s)', 'startMs', s),
            row('… CPU time of that start (s)', 'startCpuMs', s),
            row('peak RSS (through the burst and the rank questions)', 'peakRss', mb),
            row('one check-in, durable before the next (ms, p50)', 'singleMsP50', (v) => fmt(v, 2)),
            row('burst of 10,000 check-ins until all stored (ms)', 'burstMs', (v) => fmt(v, 0)),
            row('first 积分榜 right after the start (ms; from the kept head, or builds the rank order)', 'firstTopMs', (v) => fmt(v, 0)),
            [
              '  … then the rank order built in the background (s) / durable check-ins meanwhile / the slowest of them (ms)',
              `${s(m(runs[store].siyu, 'buildMs'))} / ${fmt(m(runs[store].siyu, 'checkinsDuringBuild'), 0)} / ${fmt(m(runs[store].siyu, 'slowestCheckinDuringBuildMs'), 0)}`,
              'no order (a scan per question)',
              '',
            ],
            row("a member's rank (ms)", 'rankMs', (v) => fmt(v, 3)),
            row('the top 10 (ms)', 'topMs', (v) => fmt(v, 3)),
          )
        }
        const ratio = (who: 'siyu' | 'base', k: string) => fmt(m(runs.pg[who], k) / m(runs.file[who], k), 1)
        rows.push([`  PostgreSQL / file store, rank / top 10 (same data)`, `${ratio('siyu', 'rankMs')}× / ${ratio('siyu', 'topMs')}×`, `${ratio('base', 'rankMs')}× / ${ratio('base', 'topMs')}×`, ''])
        const t: Record<'siyu' | 'base', Result[]> = { siyu: [], base: [] }
        for (let i = 0; i < r; i++) {
          for (const [who, root] of [['siyu', today], ['base', base.dir]] as const) {
            log(`takeover ${n}: round ${i + 1}/${r}, ${who}`)
            t[who].push(await child(root, ['takeover', await cluster.freshDatabase(seedUrl)]))
          }
        }
        const tr = (name: string, k: string) => [`  ${name}`, s(m(t.siyu, k)), s(m(t.base, k)), `${fmt(m(t.base, k) / m(t.siyu, k), 1)}× less`]
        rows.push(
          [`Takeover at ${fmt(n, 0)} members, PostgreSQL pair (default lease 10 s; WeChat login not included), s`, 'siyu', `baseline ${BASELINE_COMMIT}`, ''],
          tr('standby loads the store at its start (warm-up, once)', 'warmMs'),
          tr('active dies → standby holds the lease (waits out the lease)', 'deathToLeaseMs'),
          tr('lease held → caught up, pool loaded, a durable check-in', 'leaseToAnswerMs'),
          tr('active dies → the standby answers', 'deathToAnswerMs'),
          ['  standby had the active\'s last commits', t.siyu.every((x) => x.caughtUp) ? 'yes' : 'NO', t.base.every((x) => x.caughtUp) ? 'yes' : 'NO', ''],
        )
      } finally {
        await cleanup()
      }
    }
  } finally {
    await cluster.destroy()
    await base.cleanup()
  }
  return rows
}
