import { cp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileAdapter, LAZY_MIN_BYTES, VERIFIED_FILE } from '../../../src/store/FileAdapter.js'
import { StoreCorruptError } from '../../../src/store/StorageAdapter.js'
import { Store } from '../../../src/store/Store.js'
import { tempDir } from '../../helpers/tmp.js'

/** Enough rows under `big/doc` to make its file a big one (parsed when first needed). */
async function writeBigDocument(dir: string): Promise<string> {
  const a = new FileAdapter(dir)
  await a.open()
  const rows = Array.from({ length: 2000 }, (_, i) => ({ key: `big/doc/member_${i}`, value: { total: i, name: `成员${i}`.repeat(3) } }))
  await a.commit([...rows, { key: 'small/doc/x', value: 1 }])
  await a.close() // a checkpoint: the files are written, and the big one recorded
  const file = join(dir, 'big', 'doc.json')
  expect((await stat(file)).size).toBeGreaterThanOrEqual(LAZY_MIN_BYTES)
  return file
}

/** Damage a file without changing its size, as bit rot would, and leave it looking as siyu recorded it. */
async function rot(dir: string, doc: string, file: string): Promise<void> {
  const text = await readFile(file, 'utf8')
  await writeFile(file, '#' + text.slice(1))
  const st = await stat(file)
  const list = JSON.parse(await readFile(join(dir, VERIFIED_FILE), 'utf8')) as Record<string, string>
  list[doc] = `${st.size}:${st.mtimeMs}`
  await writeFile(join(dir, VERIFIED_FILE), JSON.stringify(list))
}

describe('FileAdapter: big documents are parsed when first needed', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir())
  })
  afterEach(async () => cleanup())

  it('a big file siyu wrote is not parsed at open, and is when first read; small ones are parsed at open', async () => {
    await writeBigDocument(dir)
    const a = new FileAdapter(dir)
    await a.open()
    expect(a.documents.isParsed('big/doc')).toBe(false)
    expect(a.documents.isParsed('small/doc')).toBe(true)
    const store = new Store(a)
    const ns = await store.open('big/')
    expect(a.documents.isParsed('big/doc')).toBe(false)
    expect(ns.get<{ total: number }>('doc/member_7')?.total).toBe(7)
    expect(a.documents.isParsed('big/doc')).toBe(true)
    expect(ns.keys('doc/')).toHaveLength(2000)
    await store.close()
  })

  it('a copy of the data dir that keeps the files\' times (cp -p, a restart on a copy) is still trusted', async () => {
    await writeBigDocument(dir)
    const copy = join(dir, '..', `${dir.split('/').pop()}-copy`)
    await cp(dir, copy, { recursive: true, preserveTimestamps: true })
    try {
      const a = new FileAdapter(copy)
      await a.open()
      expect(a.documents.isParsed('big/doc')).toBe(false)
      expect(await a.read('big/doc/member_9')).toMatchObject({ total: 9 })
      await a.close()
    } finally {
      await rm(copy, { recursive: true, force: true })
    }
  })

  it('a big file changed since siyu wrote it is checked whole at open: a corrupt one stops the start and stays as it was', async () => {
    const file = await writeBigDocument(dir)
    const text = await readFile(file, 'utf8')
    await writeFile(file, text.slice(0, -10)) // cut short: another size
    const err = await new FileAdapter(dir).open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreCorruptError)
    expect((err as Error).message).toContain(file)
    expect(await readFile(file, 'utf8')).toBe(text.slice(0, -10))
  })

  it('a valid big file edited by hand is checked at open, trusted after, and its rows are there', async () => {
    const file = await writeBigDocument(dir)
    const doc = JSON.parse(await readFile(file, 'utf8')) as Record<string, { total: number }>
    doc['member_1']!.total = 1_000
    await writeFile(file, JSON.stringify(doc))
    const a = new FileAdapter(dir)
    await a.open()
    expect(await a.read('big/doc/member_1')).toMatchObject({ total: 1_000 })
    await a.close()
    const verified = JSON.parse(await readFile(join(dir, VERIFIED_FILE), 'utf8')) as Record<string, string>
    const st = await stat(file)
    expect(verified['big/doc']).toBe(`${st.size}:${st.mtimeMs}`)
  })

  it('bit rot (same size and time) is found at the first read, naming the file; a change to it is refused and the file never written over', async () => {
    const file = await writeBigDocument(dir)
    await rot(dir, 'big/doc', file)
    const damaged = await readFile(file, 'utf8')
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open() // not parsed at open: it looks as siyu wrote it
    const store = new Store(a)
    const ns = await store.open('big/')
    expect(() => ns.get('doc/member_1')).toThrow(StoreCorruptError)
    expect(() => ns.get('doc/member_1')).toThrow(file)
    await expect(a.commit([{ key: 'big/doc/member_1', value: { total: 5 } }])).rejects.toBeInstanceOf(StoreCorruptError)
    // refused before the journal: a crash now replays nothing of it
    const journal = await readdir(join(dir, 'journal'))
    for (const f of journal.filter((n) => n.endsWith('.jsonl'))) expect(await readFile(join(dir, 'journal', f), 'utf8')).not.toContain('member_1')
    await a.commit([{ key: 'small/doc/y', value: 2 }])
    await a.checkpoint()
    await a.close()
    expect(await readFile(file, 'utf8')).toBe(damaged)
    // and the next start, which finds the journal empty, still does not write over it
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.read('small/doc/y')).toBe(2)
    await b.close()
    expect(await readFile(file, 'utf8')).toBe(damaged)
  })

  it('an unreadable list of checked files is no harm: every big file is checked at open, and the list written again', async () => {
    await writeBigDocument(dir)
    await writeFile(join(dir, VERIFIED_FILE), '{oops')
    const warnings: string[] = []
    const a = new FileAdapter(dir, { onWarning: (m) => warnings.push(m) })
    await a.open()
    expect(warnings.join()).toMatch(/unreadable/)
    expect(await a.read('big/doc/member_3')).toMatchObject({ total: 3 })
    await a.close()
    expect(Object.keys(JSON.parse(await readFile(join(dir, VERIFIED_FILE), 'utf8')) as object)).toEqual(['big/doc'])
  })

  it('ids named like Object.prototype\'s keys (__proto__, constructor) in a big document: kept, read back when it is parsed late, and written back', async () => {
    await writeBigDocument(dir)
    const first = new FileAdapter(dir)
    await first.open()
    await first.commit([
      { key: 'big/doc/__proto__', value: { total: 11 } },
      { key: 'big/doc/constructor', value: { total: 12 } },
    ])
    await first.close() // a checkpoint rewrites the big file with them
    expect(await readFile(join(dir, 'big', 'doc.json'), 'utf8')).toMatch(/"__proto__":\{"total":11\}/)
    for (let round = 0; round < 2; round++) {
      const a = new FileAdapter(dir)
      await a.open()
      expect(a.documents.isParsed('big/doc')).toBe(false) // trusted: parsed when first read
      const store = new Store(a)
      const ns = await store.open('big/')
      expect(ns.get('doc/__proto__')).toEqual({ total: 11 + round })
      expect(ns.get('doc/constructor')).toEqual({ total: 12 })
      expect(ns.keys('doc/')).toHaveLength(2002)
      expect(ns.keys('doc/').filter((k) => !k.startsWith('doc/member_'))).toEqual(['doc/__proto__', 'doc/constructor'])
      ns.set('doc/__proto__', { total: 12 + round })
      await store.close()
    }
  })
})
