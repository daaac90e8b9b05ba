import pg from 'pg'
import { describe, expect, it } from 'vitest'
import { PostgresAdapter, FencedError } from '../../../src/store/PostgresAdapter.js'
import { SchemaTooNewError } from '../../../src/store/postgres/schema.js'
import { WarmMirror } from '../../../src/store/postgres/WarmMirror.js'
import { Store } from '../../../src/store/Store.js'
import { postgresAvailable, usePostgres } from '../../helpers/postgres.js'
import { adapterContract } from './adapterContract.js'

describe.runIf(postgresAvailable())('PostgresAdapter (a real PostgreSQL started by the test)', () => {
  const pgc = usePostgres()
  let schemas = 0
  adapterContract('PostgresAdapter', async () => {
    // each test its own schema: the same tables, created by the adapter, in a fresh namespace
    const url = `${pgc.cluster.url}?schema=${encodeURIComponent(`t${++schemas}`)}`
    return { fresh: async () => new PostgresAdapter(url), reopen: async () => new PostgresAdapter(url), cleanup: async () => {} }
  })

  const fresh = async (): Promise<PostgresAdapter> => {
    const a = new PostgresAdapter(`${pgc.cluster.url}?schema=${encodeURIComponent(`x${++schemas}`)}`)
    await a.open()
    return a
  }

  it('scans prefixes by key range: contact ids with _ and keys with % match themselves only', async () => {
    const a = await fresh()
    await a.commit([
      { key: 'checkin/pool:a/members/07/wxid_a1', value: 1 },
      { key: 'checkin/pool:a/members/07/wxidXa1', value: 2 }, // would match a LIKE 'wxid_a%'
      { key: 'checkin/pool%3ab/members/00/x', value: 3 },
      { key: 'checkin/pool%3Xb/members/00/y', value: 4 }, // would match a LIKE 'pool%3…'
      { key: 'checkin/pool:a/members/08/z', value: 5 },
    ])
    expect(await a.entries('checkin/pool:a/members/07/wxid_')).toEqual([['checkin/pool:a/members/07/wxid_a1', 1]])
    expect(await a.entries('checkin/pool%3ab/')).toEqual([['checkin/pool%3ab/members/00/x', 3]])
    expect((await a.entries('checkin/pool:a/')).map(([k]) => k)).toEqual([
      'checkin/pool:a/members/07/wxidXa1',
      'checkin/pool:a/members/07/wxid_a1',
      'checkin/pool:a/members/08/z',
    ])
    await a.close()
  })

  it('keeps values as written: key order, Chinese text, nested arrays, and a deleted key stays gone', async () => {
    const a = await fresh()
    const v = { z: 1, a: [1, { '签到': '成功', b: null }], m: 'x\u2005y' }
    await a.commit([{ key: 'k/v', value: v }])
    expect(JSON.stringify(await a.read('k/v'))).toBe(JSON.stringify(v))
    await a.commit([{ key: 'k/v', value: undefined }])
    expect(await a.read('k/v')).toBeUndefined()
    expect(await a.entries('k/')).toEqual([])
    await a.close()
  })

  it('creates its schema once and records its version; a database from a newer siyu is refused', async () => {
    const url = `${pgc.cluster.url}?schema=versioned`
    const [a, b] = [new PostgresAdapter(url), new PostgresAdapter(url)]
    await Promise.all([a.open(), b.open()]) // two processes starting together migrate once
    const c = new pg.Client({ connectionString: pgc.cluster.url })
    await c.connect()
    try {
      const { rows } = await c.query('SELECT version FROM versioned.siyu_schema_version')
      expect(rows).toEqual([{ version: 1 }])
      await c.query('INSERT INTO versioned.siyu_schema_version (version) VALUES (99)')
      await expect(new PostgresAdapter(url).open()).rejects.toBeInstanceOf(SchemaTooNewError)
    } finally {
      await c.end()
      await a.close()
      await b.close()
    }
  })

  it('a fenced commit is refused and rolled back when another process took the lease', async () => {
    const a = await fresh()
    const c = new pg.Client({ connectionString: pgc.cluster.url })
    await c.connect()
    try {
      await c.query(`UPDATE ${a.names.lease} SET token = 7, holder = 'me'`)
      a.fence(7)
      await a.commit([{ key: 'k/ok', value: 1 }])
      const fenced: FencedError[] = []
      a.onFenced = (e) => fenced.push(e)
      await c.query(`UPDATE ${a.names.lease} SET token = 8, holder = 'other'`)
      await expect(a.commit([{ key: 'k/late', value: 2 }])).rejects.toBeInstanceOf(FencedError)
      expect(fenced).toHaveLength(1)
      expect(await a.read('k/late')).toBeUndefined()
      expect(await a.read('k/ok')).toBe(1)
    } finally {
      await c.end()
      await a.close()
    }
  })

  it('a standby mirror follows commits (sets and deletes) and serves the takeover from memory', async () => {
    const active = await fresh()
    await active.commit([
      { key: 'p/m/a', value: 1 },
      { key: 'p/m/b', value: 2 },
    ])
    const standby = new PostgresAdapter(active.url)
    await standby.open()
    await standby.warm()
    expect(standby.mirrored).toBe(2)
    await active.commit([
      { key: 'p/m/a', value: undefined },
      { key: 'p/m/c', value: 3 },
    ])
    await active.commit([{ key: 'p/m/b', value: 20 }])
    await standby.takeOver()
    expect(await standby.entries('p/')).toEqual([
      ['p/m/b', 20],
      ['p/m/c', 3],
    ])
    await active.close()
    await standby.close()
  })

  it('a commit larger than one statement is still one transaction, and fenced as a whole', async () => {
    const a = new PostgresAdapter(`${pgc.cluster.url}?schema=chunked`, { chunkRows: 2 })
    await a.open()
    const five = (v: number) => [1, 2, 3, 4, 5].map((i) => ({ key: `c/k/${i}`, value: v }))
    await a.commit(five(1))
    expect((await a.entries('c/')).map(([, v]) => v)).toEqual([1, 1, 1, 1, 1])
    const c = new pg.Client({ connectionString: pgc.cluster.url })
    await c.connect()
    await c.query(`UPDATE ${a.names.lease} SET token = 3`)
    await c.end()
    a.fence(2)
    await expect(a.commit(five(2))).rejects.toBeInstanceOf(FencedError)
    expect((await a.entries('c/')).map(([, v]) => v)).toEqual([1, 1, 1, 1, 1])
    await a.close()
  })

  it('purges old deletions; a standby that fell behind the purge reloads everything', async () => {
    const url = `${pgc.cluster.url}?schema=purged`
    const a = new PostgresAdapter(url, { keepDeletionsForCommits: 2, purgeEveryCommits: 1 })
    await a.open()
    await a.commit([
      { key: 'p/m/a', value: 1 },
      { key: 'p/m/b', value: 2 },
    ])
    const behind = new WarmMirror(a.target, a.names)
    await behind.catchUp() // loaded once, then not following
    await a.commit([{ key: 'p/m/a', value: undefined }])
    for (let i = 0; i < 4; i++) await a.commit([{ key: 'p/n/x', value: i }])
    const c = new pg.Client({ connectionString: pgc.cluster.url })
    await c.connect()
    const tombstones = await c.query(`SELECT key FROM ${a.names.kv} WHERE value IS NULL`)
    const { rows } = await c.query(`SELECT purged_seq::int AS p FROM ${a.names.lease}`)
    await c.end()
    expect(tombstones.rows).toEqual([])
    expect(rows[0].p).toBeGreaterThan(behind.applied)
    await behind.catchUp()
    expect(behind.entries('p/')).toEqual([
      ['p/m/b', 2],
      ['p/n/x', 3],
    ])
    await behind.stop()
    await a.close()
  })

  it('a Store over it: 1,000 changes of one turn are one transaction', async () => {
    const a = await fresh()
    const store = new Store(a)
    const ns = await store.open('checkin/p/')
    const before = a.metrics.commits
    for (let i = 0; i < 1000; i++) ns.set(`m/${i}`, { total: i })
    await store.durable()
    expect(a.metrics.commits - before).toBe(1)
    expect(await a.count()).toBe(1000)
    await store.close()
  })
})
