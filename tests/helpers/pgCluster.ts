import { freePort } from './freePort.js'
import { execFile, execFileSync } from 'node:child_process'
import { chown, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises'
import { existsSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir, userInfo } from 'node:os'
import { join } from 'node:path'

function run(cmd: string, args: string[]): Promise<{ stdout: string }> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, (err, stdout, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve({ stdout }))),
  )
}

/**
 * A throwaway PostgreSQL cluster for the tests and the bench: initdb in a temp dir, started with pg_ctl on
 * a free port, listening on 127.0.0.1 only, stopped by `pg_ctl stop -m immediate` (and its
 * pid killed if that fails) in teardown, also when a test failed or the worker exits.
 */
export interface PgCluster {
  readonly url: string
  readonly port: number
  readonly pid: number
  /** Stop the server (fast shutdown), as an outage would; `start()` brings it back on the same port. */
  stop(): Promise<void>
  start(): Promise<void>
  /** A connection string to a fresh database on this cluster: empty, or a copy of `templateUrl`'s. */
  freshDatabase(templateUrl?: string): Promise<string>
  destroy(): Promise<void>
}

/** Where the binaries are, or why the tests that need PostgreSQL cannot run here. */
export const pgAvailability: { bin?: string; asPostgres: boolean; reason?: string } = findPostgres()

function findPostgres(): { bin?: string; asPostgres: boolean; reason?: string } {
  const candidates: string[] = []
  if (existsSync('/usr/lib/postgresql')) {
    for (const v of readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a))) candidates.push(`/usr/lib/postgresql/${v}/bin`)
  }
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(dir)
  const bin = candidates.find((d) => existsSync(join(d, 'initdb')) && existsSync(join(d, 'pg_ctl')))
  if (!bin) return { asPostgres: false, reason: 'no initdb/pg_ctl found (install Debian\'s postgresql: apt-get install postgresql)' }
  // initdb refuses to run as root: as root it runs as the postgres user
  const root = userInfo().uid === 0
  if (root) {
    try {
      execFileSync('id', ['-u', 'postgres'], { stdio: 'ignore' })
    } catch {
      return { bin, asPostgres: false, reason: 'running as root and there is no postgres user to run initdb as' }
    }
  }
  return { bin, asPostgres: root }
}

let announced = false
/**
 * True when PostgreSQL tests can run; otherwise says why, once per test file, in one line.
 * In CI (CI=true) a missing PostgreSQL is an error, not a skip: CI must run these tests.
 */
export function postgresAvailable(): boolean {
  if (pgAvailability.reason && process.env.CI === 'true') {
    throw new Error(`CI must run the PostgreSQL tests, but: ${pgAvailability.reason} (.ci/run installs postgresql when initdb is missing)`)
  }
  if (pgAvailability.reason && !announced) {
    announced = true
    console.warn(`[postgres] SKIPPED: tests that need PostgreSQL do not run here: ${pgAvailability.reason}`)
  }
  return !pgAvailability.reason
}

const live = new Map<number, string>()
process.once('exit', () => {
  // last resort (a worker or script ending mid-test): SIGQUIT is postgres's immediate shutdown
  for (const [pid, dir] of live) {
    try {
      process.kill(pid, 'SIGQUIT')
    } catch {
      /* gone already */
    }
    rmSync(dir, { recursive: true, force: true })
  }
})

export async function startPostgres(opts: { fsync?: boolean } = {}): Promise<PgCluster> {
  const { bin, asPostgres, reason } = pgAvailability
  if (reason || !bin) throw new Error(`PostgreSQL unavailable: ${reason}`)
  const root = await mkdtemp(join(tmpdir(), 'siyu-pg-'))
  const data = join(root, 'data')
  const sock = join(root, 'sock')
  await mkdir(sock)
  const as = async (cmd: string, args: string[]): Promise<{ stdout: string }> =>
    asPostgres ? run('runuser', ['-u', 'postgres', '--', join(bin, cmd), ...args]) : run(join(bin, cmd), args)
  if (asPostgres) {
    const { stdout } = await run('id', ['-u', 'postgres'])
    const { stdout: g } = await run('id', ['-g', 'postgres'])
    await chown(root, Number(stdout), Number(g))
    await chown(sock, Number(stdout), Number(g))
  }
  await as('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
  const port = await freePort()
  const options = [`-p ${port}`, `-k ${sock}`, '-c listen_addresses=127.0.0.1', `-c fsync=${opts.fsync ? 'on' : 'off'}`, '-c max_connections=60'].join(' ')
  let pid = 0
  const start = async (): Promise<void> => {
    await as('pg_ctl', ['-D', data, '-o', options, '-l', join(root, 'log'), '-w', '-t', '60', 'start'])
    pid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0])
    live.set(pid, root)
  }
  const stopWith = async (mode: 'fast' | 'immediate'): Promise<void> => {
    try {
      await as('pg_ctl', ['-D', data, '-m', mode, '-w', '-t', '30', 'stop'])
    } catch {
      try {
        process.kill(pid, 'SIGQUIT')
      } catch {
        /* gone already */
      }
    }
    live.delete(pid)
  }
  await start()
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`
  let dbs = 0
  return {
    url,
    port,
    get pid() {
      return pid
    },
    start,
    stop: () => stopWith('fast'),
    async freshDatabase(templateUrl?: string) {
      const name = `t${++dbs}_${process.pid}`
      const template = templateUrl ? ` TEMPLATE ${pgEscape(new URL(templateUrl).pathname.slice(1))}` : ''
      const pg = (await import('pg')).default
      const c = new pg.Client({ connectionString: url })
      await c.connect()
      try {
        await c.query(`CREATE DATABASE ${c.escapeIdentifier(name)}${template}`)
      } finally {
        await c.end()
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    async destroy() {
      await stopWith('immediate')
      await rm(root, { recursive: true, force: true })
    },
  }
}


function pgEscape(name: string): string {
  return `"${name.replace(/"/g, '""')}"`
}
