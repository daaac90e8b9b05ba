/**
 * Bench section 6: the file store against PostgreSQL (a throwaway cluster with fsync on,
 * started here with Debian's binaries), each measurement in its own child process. Skipped
 * with one line when PostgreSQL cannot be started on this machine.
 */
import { execFile } from 'node:child_process'
import { cp } from 'node:fs/promises'
import { join } from 'node:path'
import { pgAvailability, startPostgres } from '../tests/helpers/pgCluster.js'
import { fmt, median, tempDir } from './lib.js'

type Result = Record<string, number>

const script = join(import.meta.dirname, 'pgScale.ts')
const node = (args: string[]): Promise<Result> =>
  new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', script, ...args], { maxBuffer: 1 << 20 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout.trim().split('\n').pop()!) as Result),
    ),
  )
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 0)} MB`

export async function postgresRows(rounds: number, log: (s: string) => void): Promise<string[][]> {
  if (pgAvailability.reason) {
    log(`postgres bench SKIPPED: ${pgAvailability.reason}`)
    return [['File store vs PostgreSQL: skipped', pgAvailability.reason, '', '']]
  }
  const sizes = process.env.BENCH_MILLION === '1' ? [100_000, 1_000_000] : [100_000]
  const cluster = await startPostgres({ fsync: true })
  const rows: string[][] = []
  try {
    for (const n of sizes) {
      const { dir, cleanup } = await tempDir('siyu-pgscale-')
      try {
        log(`file vs postgres ${n}: generating`)
        const seedUrl = await cluster.freshDatabase()
        const gen = await node(['generate', join(dir, 'seed'), String(n)])
        await node(['generate', seedUrl, String(n)])
        const file: Result[] = []
        const pg: Result[] = []
        for (let i = 0; i < rounds; i++) {
          log(`file vs postgres ${n}: round ${i + 1}/${rounds}`)
          const copy = join(dir, `round${i}`)
          await cp(join(dir, 'seed'), copy, { recursive: true })
          file.push(await node(['measure', copy]))
          pg.push(await node(['measure', await cluster.freshDatabase(seedUrl)]))
        }
        const m = (rs: Result[], k: string) => median(rs.map((r) => r[k]!))
        const pair = (k: string, f: (v: number) => string) => {
          const [a, b] = [m(file, k), m(pg, k)]
          return [f(a), f(b), `${fmt(b / a, 1)}×`]
        }
        rows.push(
          [`File store vs PostgreSQL, ${fmt(n, 0)} members (fsync on; PostgreSQL on this machine, over TCP 127.0.0.1)`, 'file', 'PostgreSQL', 'PG / file'],
          ['  data on disk (file store)', mb(gen.bytes!), '', ''],
          ['  start-up: open + load the pool (ms)', ...pair('startupMs', (v) => fmt(v, 0))],
          ['  peak RSS', ...pair('peakRss', mb)],
          ['  one check-in, durable before the next (ms, p50)', ...pair('singleMsP50', (v) => fmt(v, 2))],
          ['  burst of 10,000 check-ins until all stored (ms)', ...pair('burstMs', (v) => fmt(v, 0))],
          ['  a member\'s rank / the top 10 (ms; from the in-memory cache either way)', `${fmt(m(file, 'rankMs'), 1)} / ${fmt(m(file, 'topMs'), 1)}`, `${fmt(m(pg, 'rankMs'), 1)} / ${fmt(m(pg, 'topMs'), 1)}`, ''],
        )
        if (n === 100_000) {
          const t: Result[] = []
          for (let i = 0; i < rounds; i++) {
            log(`takeover ${n}: round ${i + 1}/${rounds}`)
            t.push(await node(['takeover', await cluster.freshDatabase(seedUrl)]))
          }
          const tm = (k: string) => median(t.map((r) => r[k]!))
          rows.push(
            [`Takeover at ${fmt(n, 0)} members (default lease 10 s; WeChat login not included)`, 'ms', '', ''],
            ['  standby loads the store at its start (warm-up, once)', fmt(tm('warmMs'), 0), '', ''],
            ['  active dies → standby holds the lease (waits out the lease)', fmt(tm('deathToLeaseMs'), 0), '', ''],
            ['  lease held → caught up and the pool loaded, warm', fmt(tm('leaseToReadyMs'), 0), '', ''],
            ['  the same load cold, from the database', fmt(tm('coldLoadMs'), 0), '', ''],
            ['  standby had the active\'s last commits', t.every((r) => r.caughtUp) ? 'yes' : 'NO', '', ''],
          )
        }
      } finally {
        await cleanup()
      }
    }
  } finally {
    await cluster.destroy()
  }
  return rows
}
