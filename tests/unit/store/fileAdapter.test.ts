import { readFile, writeFile, mkdir, readdir, appendFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { DurableJSONFile } from '../../../src/store/durableFile.js'
import { StoreCorruptError, StoreLockedError } from '../../../src/store/StorageAdapter.js'
import { Store } from '../../../src/store/Store.js'
import { tempDir } from '../../helpers/tmp.js'
import { adapterContract } from './adapterContract.js'

adapterContract('FileAdapter', async () => {
  const t = await tempDir()
  return {
    fresh: async () => new FileAdapter(t.dir),
    reopen: async () => new FileAdapter(t.dir),
    cleanup: t.cleanup,
  }
})

describe('FileAdapter on disk', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => cleanup())

  it('keeps one lowdb JSON file per key directory after a checkpoint', async () => {
    const a = new FileAdapter(dir)
    await a.open()
    await a.commit([
      { key: 'checkin/pool:sisley/members/07/wxid_a', value: { total: 10 } },
      { key: 'checkin/pool:sisley/members/07/wxid_b', value: { total: 20 } },
    ])
    await a.checkpoint()
    const file = join(dir, 'checkin', 'pool%3asisley', 'members', '07.json')
    expect(JSON.parse(await readFile(file, 'utf8'))).toEqual({ wxid_a: { total: 10 }, wxid_b: { total: 20 } })
    const segments = (await readdir(join(dir, 'journal'))).filter((n) => n.endsWith('.jsonl'))
    expect(segments).toHaveLength(1) // only the fresh, empty segment
    await a.close()
  })

  it('keeps immutable values as given (the Store\'s: no copy parsed back), and the journal holds them for a restart', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    const row = { total: 11, hashes: ['a1', 'b2'] }
    const copied = { total: 5 }
    await a.commit([{ key: 'checkin/pool:p/members/07/wxid_a', value: row }], { immutable: true })
    await a.commit([{ key: 'checkin/pool:p/members/07/wxid_b', value: copied }])
    // the document holds the very object given; without the promise, a snapshot of it
    expect(a.documents.get('checkin/pool:p/members/07', 'wxid_a')).toBe(row)
    expect(a.documents.get('checkin/pool:p/members/07', 'wxid_b')).not.toBe(copied)
    expect(a.documents.get('checkin/pool:p/members/07', 'wxid_b')).toEqual({ total: 5 })
    await a.abandon() // as after kill -9: only the journal has them
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.entries('checkin/')).toEqual([
      ['checkin/pool:p/members/07/wxid_a', { total: 11, hashes: ['a1', 'b2'] }],
      ['checkin/pool:p/members/07/wxid_b', { total: 5 }],
    ])
    await b.close()
  })

  it('the Store hands its values over as immutable: one copy of each in memory, the one it set', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    const store = new Store(a)
    const ns = await store.open('checkin/')
    const row = { total: 3 }
    ns.set('pool:p/members/07/wxid_a', row)
    await store.durable()
    expect(a.documents.get('checkin/pool:p/members/07', 'wxid_a')).toBe(row)
    expect(ns.get('pool:p/members/07/wxid_a')).toBe(row)
    await store.close()
  })

  it('a big document that only grows (a day\'s ledger) is checkpointed as the same text as written whole, through changes, deletions and index-like keys', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    const doc = 'checkin/pool:p/ledger/2026-12-02'
    const file = join(dir, 'checkin', 'pool%3ap', 'ledger', '2026-12-02.json')
    const expected = new Map<string, unknown>()
    let seq = 0
    const entry = () => ({ seq, at: 1_000 + seq, member: `wxid_${seq % 37}`, delta: 1, reason: 'activity', note: seq % 5 ? undefined : 'é"\\' })
    // each round: new entries (past 64 KiB after the first), then now and then a change, a deletion or an index-like key
    for (let round = 0; round < 8; round++) {
      const changes = []
      for (let i = 0; i < 400; i++) {
        seq++
        const leaf = String(seq).padStart(10, '0')
        const value = JSON.parse(JSON.stringify(entry()))
        changes.push({ key: `${doc}/${leaf}`, value })
        expected.set(leaf, value)
      }
      if (round === 3) {
        changes.push({ key: `${doc}/0000000007`, value: { seq: 7, changed: true } })
        expected.set('0000000007', { seq: 7, changed: true })
      }
      if (round === 5) {
        changes.push({ key: `${doc}/0000000009` })
        expected.delete('0000000009')
      }
      if (round === 6) {
        changes.push({ key: `${doc}/42`, value: 'an index-like key sorts first in an object' })
        expected.set('42', 'an index-like key sorts first in an object')
      }
      await a.commit(changes.map((c) => ({ key: c.key, value: 'value' in c ? c.value : undefined })), { immutable: true })
      await a.checkpoint()
      const text = await readFile(file, 'utf8')
      // byte for byte what serializing every row would give, and every row there
      expect(text).toBe(JSON.stringify(Object.fromEntries(a.documents.rows(doc)!)))
      expect(new Map(Object.entries(JSON.parse(text)))).toEqual(expected)
    }
    await a.close()
    const b = new FileAdapter(dir)
    await b.open()
    expect((await b.entries(`${doc}/`)).length).toBe(expected.size)
    await b.close()
  })

  it('recovers committed changes from the journal when the process died before a checkpoint', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    await a.commit([{ key: 'x/y/z', value: 1 }])
    await a.commit([{ key: 'x/y/w', value: 2 }])
    await a.abandon() // no close(): as after kill -9, the kernel drops the lock
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.entries('x/')).toEqual([
      ['x/y/w', 2],
      ['x/y/z', 1],
    ])
    await b.close()
  })

  it('a checkpoint cut short (a crash between snapshot files) loses nothing: the journal is kept until all are written', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    await a.commit([
      { key: 'checkin/p/members/00/a', value: { total: 10 } },
      { key: 'checkin/p/ledger/2026-11-26/1', value: { delta: 10 } },
    ])
    await a.checkpoint()
    await a.commit([
      { key: 'checkin/p/members/00/a', value: { total: 20 } },
      { key: 'checkin/p/ledger/2026-11-27/2', value: { delta: 10 } },
    ])
    // the second snapshot file fails to be written, as if the process died there
    const original = DurableJSONFile.prototype.writeText
    let writes = 0
    DurableJSONFile.prototype.writeText = function (text: string) {
      return ++writes === 2 ? Promise.reject(new Error('power cut')) : original.call(this, text)
    }
    try {
      await expect(a.checkpoint()).rejects.toThrow('power cut')
    } finally {
      DurableJSONFile.prototype.writeText = original
    }
    // a later checkpoint of the same process must write what the failed one did not
    await a.commit([{ key: 'other/x/y', value: 1 }])
    await a.checkpoint()
    await a.abandon()
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.read('checkin/p/members/00/a')).toEqual({ total: 20 })
    expect(await b.entries('checkin/p/ledger/')).toHaveLength(2)
    await b.close()
  })

  it('ignores a half-written last journal record and warns', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    await a.commit([{ key: 'x/y/z', value: 1 }])
    await a.abandon()
    const seg = (await readdir(join(dir, 'journal'))).find((n) => n.endsWith('.jsonl'))!
    await appendFile(join(dir, 'journal', seg), '0000abcd\t[["x/y/z",2')
    const warnings: string[] = []
    const b = new FileAdapter(dir, { onWarning: (m) => warnings.push(m) })
    await b.open()
    expect(await b.read('x/y/z')).toBe(1)
    expect(warnings.join()).toMatch(/half-written/)
    await b.close()
  })

  it('stops on a corrupt snapshot, naming the file, and leaves it untouched', async () => {
    await mkdir(join(dir, 'checkin'), { recursive: true })
    const file = join(dir, 'checkin', 'pool.json')
    await writeFile(file, '{"a": {"total": 1}, oops')
    const a = new FileAdapter(dir)
    const err = await a.open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreCorruptError)
    expect((err as Error).message).toContain(file)
    expect(await readFile(file, 'utf8')).toBe('{"a": {"total": 1}, oops')
  })

  it('stops on an empty snapshot file', async () => {
    await writeFile(join(dir, 'stats.json'), '')
    await expect(new FileAdapter(dir).open()).rejects.toBeInstanceOf(StoreCorruptError)
  })

  it('stops on a journal damaged in its middle', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    await a.commit([{ key: 'x/y/a', value: 1 }])
    await a.commit([{ key: 'x/y/b', value: 2 }])
    await a.abandon()
    const seg = join(dir, 'journal', (await readdir(join(dir, 'journal'))).find((n) => n.endsWith('.jsonl'))!)
    const text = await readFile(seg, 'utf8')
    await writeFile(seg, text.replace('"x/y/a",1', '"x/y/a",7'))
    await expect(new FileAdapter(dir).open()).rejects.toThrow(/fails its checksum/)
  })

  it('refuses a second open of a data directory that is in use, naming the holder', async () => {
    const a = new FileAdapter(dir)
    await a.open()
    const err = await new FileAdapter(dir).open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreLockedError)
    expect((err as Error).message).toBe(`data directory ${dir} is in use by process ${process.pid}; stop it first or use another --data`)
    await a.close()
    const b = new FileAdapter(dir) // released by close
    await b.open()
    await b.close()
  })

  it('a lock file naming an unrelated live program does not block: the store opens, writes, and holds the lock itself', async () => {
    await writeFile(join(dir, '.lock'), String(process.ppid))
    expect(() => process.kill(process.ppid, 0)).not.toThrow() // the program the file names is alive
    const a = new FileAdapter(dir)
    await a.open()
    await a.commit([{ key: 'x/y/a', value: 1 }])
    // the lock is this process's now: the file names it, and a second opener is refused
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(String(process.pid))
    const err = await new FileAdapter(dir).open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreLockedError)
    await a.close()
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.read('x/y/a')).toBe(1)
    await b.close()
  })

  it('group commit: 1,000 changes from one burst are one journal write', async () => {
    const a = new FileAdapter(dir)
    await a.open()
    const store = new Store(a)
    const ns = await store.open('checkin/p/')
    const writesBefore = a.metrics.fileWrites
    for (let i = 0; i < 1000; i++) ns.set(`m/${i}`, { total: i })
    await store.durable()
    expect(a.metrics.fileWrites - writesBefore).toBe(1)
    await store.close()
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.entries('checkin/p/')).toHaveLength(1000)
    await b.close()
  })

  it('durable() waits for the disk and reports a failed commit', async () => {
    const a = new FileAdapter(dir)
    await a.open()
    const store = new Store(a)
    const ns = await store.open('k/')
    ns.set('v/1', 1)
    const order: string[] = []
    const p = store.durable().then(() => order.push('durable'))
    order.push('called')
    await p
    expect(order).toEqual(['called', 'durable'])
    expect(await a.read('k/v/1')).toBe(1)
    await a.close()
    ns.set('v/2', 2) // the adapter is closed: this commit fails
    await expect(store.durable()).rejects.toThrow(/not open/)
  })
})
