import { execFile } from 'node:child_process'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runMigrate } from '../../../src/cli/migrate.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { PostgresAdapter } from '../../../src/store/PostgresAdapter.js'
import type { Change } from '../../../src/store/StorageAdapter.js'
import { postgresAvailable, usePostgres } from '../../helpers/postgres.js'
import { tempDir } from '../../helpers/tmp.js'

/** What a brand's data dir holds, with the awkward cases: `_` and `%` in keys, Chinese, key order. */
const STATE: Change[] = [
  { key: 'checkin/pool:fans/members/07/wxid_a_1', value: { total: 30, streak: 3, name: '小王' } },
  { key: 'checkin/pool:fans/members/07/wxid%25b', value: { total: 10, streak: 1, name: '100%' } },
  { key: 'checkin/pool:fans/ledger/2026-11-26/1', value: { member: 'wxid_a_1', delta: 10, z: 1, a: 2 } },
  { key: 'core/stats/fans/2026-11-26', value: { joins: 2, messages: [1, 2, { x: null }] } },
  { key: 'live/fans/state/a1', value: { gen: 0, start: '2026-11-27T20:00', title: '周末福利场', cancelled: false } },
  // the sandbox's own data under <data>/sandbox: not copied
  { key: 'sandbox/checkin/pool:fans/members/00/x', value: { total: 1 } },
]

function npmMigrate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) =>
    // what `npm run migrate` runs (the siyu command; migrate.ts is a module since the package merge), from source
    execFile(process.execPath, ['--import', 'tsx', 'src/cli/siyu.ts', 'migrate', ...args], (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    ),
  )
}

describe.runIf(postgresAvailable())('npm run migrate: JSON data dir ⇄ PostgreSQL, verified', () => {
  const pgc = usePostgres()
  let dir: string
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-migrate-'))
    const a = new FileAdapter(join(dir, 'data'))
    await a.open()
    await a.commit(STATE)
    await a.close()
  })
  afterAll(async () => cleanup?.())

  it('copies a data dir into an empty database and back, both verified; the copies hold the same entries', async () => {
    const url = (await pgc.cluster.freshDatabase()).replace('postgres@', 'postgres:pw-not-shown@')
    const there = await npmMigrate(['--from', join(dir, 'data'), '--to', url])
    expect(there.stderr).toBe('')
    expect(there.code).toBe(0)
    expect(there.stdout).toContain('copying 5 keys')
    expect(there.stdout).toContain('verified: both sides hold the same keys and values')
    expect(there.stdout).not.toContain('pw-not-shown')

    const db = new PostgresAdapter(url)
    await db.open()
    const expected = STATE.filter((c) => !c.key.startsWith('sandbox/')).map((c) => [c.key, c.value])
    expect(await db.entries('')).toEqual([...expected].sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1)))
    // values come back as written, key order included
    expect(JSON.stringify(await db.read('checkin/pool:fans/ledger/2026-11-26/1'))).toBe(JSON.stringify(STATE[2]!.value))
    await db.close()

    const back = await npmMigrate(['--from', url, '--to', join(dir, 'back')])
    expect(back.code).toBe(0)
    expect(back.stdout).toContain('verified')
    const files = new FileAdapter(join(dir, 'back'))
    await files.open()
    expect(await files.entries('')).toEqual(await (async () => {
      const orig = new FileAdapter(join(dir, 'data'))
      await orig.open()
      const e = (await orig.entries('')).filter(([k]) => !k.startsWith('sandbox/'))
      await orig.close()
      return e
    })())
    await files.close()
  }, 60_000)

  it('refuses a non-empty target, and changes nothing there', async () => {
    const url = await pgc.cluster.freshDatabase()
    const db = new PostgresAdapter(url)
    await db.open()
    await db.commit([{ key: 'other/brand/x', value: 1 }])
    const r = await runMigrate(['--from', join(dir, 'data'), '--to', url], () => {}, () => {})
    expect(r).toBe(2)
    expect(await db.entries('')).toEqual([['other/brand/x', 1]])
    await db.close()

    const errs: string[] = []
    expect(await runMigrate(['--from', url, '--to', join(dir, 'data')], () => {}, (l) => errs.push(l))).toBe(2)
    expect(errs.join()).toMatch(/not empty/)
  })

  it('refuses a database a running bot holds the lease on (exit 3)', async () => {
    const url = await pgc.cluster.freshDatabase()
    const db = new PostgresAdapter(url)
    await db.open()
    const c = new pg.Client({ connectionString: url })
    await c.connect()
    await c.query(`UPDATE siyu_lease SET holder = 'host:1', token = 1, expires_at = now() + interval '1 minute'`)
    await c.end()
    const errs: string[] = []
    expect(await runMigrate(['--from', join(dir, 'data'), '--to', url], () => {}, (l) => errs.push(l))).toBe(3)
    expect(errs.join()).toContain('in use by a running bot (host:1)')
    expect(await db.count()).toBe(0)
    await db.close()
  })

  it('reports a mismatch with exit 1 when the target does not read back what was written', async () => {
    const url = await pgc.cluster.freshDatabase()
    // a target that silently loses one value on its way in
    const original = PostgresAdapter.prototype.commit
    PostgresAdapter.prototype.commit = function (changes) {
      return original.call(this, changes.map((c) => (c.key.includes('wxid_a_1') ? { ...c, value: { total: 0 } } : c)))
    }
    const errs: string[] = []
    try {
      expect(await runMigrate(['--from', join(dir, 'data'), '--to', url], () => {}, (l) => errs.push(l))).toBe(1)
    } finally {
      PostgresAdapter.prototype.commit = original
    }
    expect(errs.join()).toContain('MISMATCH')
  })

  it('says how to use it when an argument is missing (exit 2)', async () => {
    const errs: string[] = []
    expect(await runMigrate(['--from', 'data'], () => {}, (l) => errs.push(l))).toBe(2)
    expect(errs.join()).toContain('usage: siyu migrate --from')
  })
})
