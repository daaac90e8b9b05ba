import { readdir, readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../../src/clock/FakeClock.js'
import { FileAdapter, type FileAdapterOptions } from '../../src/store/FileAdapter.js'
import { Journal } from '../../src/store/Journal.js'
import { Store } from '../../src/store/Store.js'
import { FaultyFs } from '../helpers/FaultyFs.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * The file store on a misbehaving disk (issue 15): each test makes one fault happen at a
 * chosen step through FaultyFs, then opens the data dir again on the real disk, as the next
 * start would, and checks that every confirmed change is there and nothing older came back.
 */
describe('fault: the file store on a misbehaving disk', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let open: FileAdapter[] = []
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-disk-'))
    open = []
  })
  afterEach(async () => {
    for (const a of open) await a.abandon()
    await cleanup()
  })

  const adapter = async (fs?: FaultyFs, o: FileAdapterOptions = {}): Promise<FileAdapter> => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000, ...o, fs })
    open.push(a)
    await a.open()
    return a
  }
  /** Open again on the real disk after the previous process died. */
  const restart = async (dead: FileAdapter, warnings: string[] = []): Promise<FileAdapter> => {
    await dead.abandon()
    return adapter(undefined, { onWarning: (m) => warnings.push(m) })
  }

  it('1. a short write (disk full mid-record) is not confirmed, is cut back, and later appends stay readable', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key: 'p/m/alice', value: 100 }])
    fs.spaceLeft = 10 // the next record fits only in part: the write is short, with no error
    await expect(a.commit([{ key: 'p/m/bob', value: 50 }])).rejects.toMatchObject({ code: 'ENOSPC' })
    const segment = join(dir, 'journal', `${(await Journal.list(join(dir, 'journal'))).at(-1)}.jsonl`)
    expect((await readFile(segment, 'utf8')).endsWith('\n')).toBe(true) // no half record left behind
    fs.spaceLeft = undefined // space is back
    await a.commit([{ key: 'p/m/carol', value: 7 }])
    const warnings: string[] = []
    const b = await restart(a, warnings)
    expect(await b.entries('p/')).toEqual([
      ['p/m/alice', 100],
      ['p/m/carol', 7],
    ])
    expect(warnings).toEqual([]) // nothing torn: the failed record was removed, not skipped
  })

  it('1. a write cut short and followed by an error is retried to the end when the disk lets it', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    // every write writes at most 8 bytes, like a disk that keeps returning short counts
    const big = { text: 'x'.repeat(200) }
    const writes = fs.count('write')
    fs.spaceLeft = Infinity
    const realOpen = fs.open.bind(fs)
    fs.open = async (path, flags) => {
      const fh = await realOpen(path, flags)
      return { ...fh, write: (b, o, l) => fh.write(b, o, Math.min(l, 8)) }
    }
    await a.abandon()
    const c = await adapter(fs)
    await c.commit([{ key: 'p/m/big', value: big }])
    expect(fs.count('write') - writes).toBeGreaterThan(20)
    const b = await restart(c)
    expect(await b.read('p/m/big')).toEqual(big)
  })

  it('1. when cutting the failed record back fails too, the next append starts a new segment', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key: 'p/m/alice', value: 1 }])
    fs.spaceLeft = 5
    fs.fail('truncate', 'EIO')
    await expect(a.commit([{ key: 'p/m/bob', value: 2 }])).rejects.toThrow()
    fs.spaceLeft = undefined
    await a.commit([{ key: 'p/m/carol', value: 3 }])
    const warnings: string[] = []
    const b = await restart(a, warnings)
    expect(await b.entries('p/')).toEqual([
      ['p/m/alice', 1],
      ['p/m/carol', 3],
    ])
    expect(warnings.join()).toMatch(/half-written/) // the stray bytes end a segment and are skipped
  })

  it('1. a failed fdatasync is not confirmed', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    fs.fail('datasync', 'EIO', { path: /\.jsonl$/ })
    await expect(a.commit([{ key: 'p/m/bob', value: 2 }])).rejects.toMatchObject({ code: 'EIO' })
    expect(await a.read('p/m/bob')).toBeUndefined()
    await a.commit([{ key: 'p/m/carol', value: 3 }])
    const b = await restart(a)
    expect(await b.entries('p/')).toEqual([['p/m/carol', 3]])
  })

  it('2. a rotation whose new segment cannot be opened loses nothing confirmed, also after a clean close', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key: 'p/m/alice', value: 50 }])
    fs.fail('open', 'EMFILE', { path: /journal\/\d+\.jsonl$/ })
    await expect(a.checkpoint()).rejects.toMatchObject({ code: 'EMFILE' })
    await a.commit([{ key: 'p/m/alice', value: 100 }]) // confirmed after the failed rotation
    await a.commit([{ key: 'p/m/bob', value: 1 }])
    await a.checkpoint() // succeeds: must write alice=100 into the snapshot before dropping segments
    await a.close()
    const b = await adapter()
    expect(await b.entries('p/')).toEqual([
      ['p/m/alice', 100],
      ['p/m/bob', 1],
    ])
  })

  it('2. a checkpoint whose snapshot write fails keeps its documents for the next one', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key: 'p/m/alice', value: 100 }])
    fs.fail('rename', 'EIO')
    await expect(a.checkpoint()).rejects.toMatchObject({ code: 'EIO' })
    await a.commit([{ key: 'q/m/x', value: 1 }])
    await a.checkpoint()
    const b = await restart(a)
    // the journal alone would restore it: drop it to see that the snapshot has it
    expect(await b.read('p/m/alice')).toBe(100)
    await b.close()
    const files = await readdir(join(dir, 'p'))
    expect(JSON.parse(await readFile(join(dir, 'p', files.find((f) => f.endsWith('.json'))!), 'utf8'))).toEqual({ alice: 100 })
  })

  it('3. a long key (an 84-character Chinese pool name) is stored under names no longer than 255 bytes and read back', async () => {
    const pool = '私域粉丝'.repeat(21) // 84 characters, 252 bytes in UTF-8
    const key = `checkin/pool:${pool}/members/07/wxid_a`
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key, value: { total: 10 } }])
    await a.checkpoint()
    await a.close()
    const longest = Math.max(...fs.calls.map((c) => Math.max(...c.path.split('/').map((s) => Buffer.byteLength(s)))))
    expect(longest).toBeLessThanOrEqual(255)
    const b = await adapter()
    expect(await b.read(key)).toEqual({ total: 10 })
    await b.commit([{ key, value: { total: 20 } }])
    await b.close()
    const c = await adapter()
    expect(await c.entries(`checkin/pool:${pool}/`)).toEqual([[key, { total: 20 }]])
  })

  it('4. a kill between two segment deletions never brings an older value back', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    // make the journal reach segments 9 and 10 (9 < 10, but "10" < "9" as text)
    while (a['journal'].currentSegment < 9) await a.checkpoint()
    await a.commit([{ key: 'p/m/alice', value: 10 }]) // in 9.jsonl
    fs.fail('rename', 'EIO') // that checkpoint's snapshot fails: 9 is kept
    await expect(a.checkpoint()).rejects.toThrow()
    await a.commit([{ key: 'p/m/alice', value: 20 }]) // in 10.jsonl
    let unlinks = 0
    fs.killAt((c) => c.op === 'unlink' && /journal\/\d+\.jsonl$/.test(c.path) && ++unlinks === 2)
    await expect(a.checkpoint()).rejects.toThrow(/killed/)
    const b = await restart(a)
    expect(await b.read('p/m/alice')).toBe(20)
  })

  it('4. segments are deleted oldest first, and a restart after all were deleted numbers the next one after the mark', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    for (let i = 0; i < 11; i++) {
      await a.commit([{ key: 'p/m/n', value: i }])
      if (i === 3) fs.fail('rename', 'EIO') // keep a few segments around for one checkpoint
      await a.checkpoint().catch(() => {})
    }
    const deleted = fs.calls.filter((c) => c.op === 'unlink' && /journal\/\d+\.jsonl$/.test(c.path)).map((c) => Number(/(\d+)\.jsonl$/.exec(c.path)![1]))
    expect(deleted).toEqual([...deleted].sort((x, y) => x - y))
    await a.close()
    const b = await adapter()
    await b.commit([{ key: 'p/m/n', value: 99 }])
    await b.abandon() // killed before any checkpoint: 99 is only in the journal
    const c = await adapter()
    expect(await c.read('p/m/n')).toBe(99)
  })

  it('a kill at any step of commits and checkpoints loses nothing confirmed and brings nothing old back', async () => {
    // run the same history once per step, killing the process at that step
    // `confirmed`: what each key held after the last commit that resolved; `trying`: the values
    // of the commit under way when the kill came (written maybe, never confirmed: either is fine)
    const history = async (a: FileAdapter, confirmed: Map<string, number>, trying: Map<string, number>): Promise<void> => {
      for (let i = 1; i <= 4; i++) {
        trying.set(`p/m/${i % 3}`, i).set(`q/${i}/x`, i)
        await a.commit([{ key: `p/m/${i % 3}`, value: i }, { key: `q/${i}/x`, value: i }])
        trying.clear()
        confirmed.set(`p/m/${i % 3}`, i)
        confirmed.set(`q/${i}/x`, i)
        if (i % 2 === 0) await a.checkpoint()
      }
    }
    const probe = new FaultyFs()
    await history(await adapter(probe), new Map(), new Map())
    const steps = probe.calls.length
    for (let step = 0; step < steps; step++) {
      await cleanup()
      ;({ dir, cleanup } = await tempDir('siyu-disk-'))
      const fs = new FaultyFs().killAt((_c, i) => i === step, 3)
      const confirmed = new Map<string, number>()
      const trying = new Map<string, number>()
      const a = await adapter(fs).catch(() => undefined)
      if (a) await history(a, confirmed, trying).catch(() => {})
      if (a) await a.abandon()
      const b = await adapter()
      for (const [k, v] of confirmed) {
        const got = await b.read(k)
        expect([v, trying.get(k)], `step ${step} (${fs.killedAt?.op} ${fs.killedAt?.path}): ${k} = ${got}`).toContain(got)
      }
      await b.close()
    }
  }, 120_000)

  it('10. a new folder is made durable in its parent, and so is a removed document', async () => {
    const fs = new FaultyFs()
    const a = await adapter(fs)
    await a.commit([{ key: 'checkin/pool:x/members/07/a', value: 1 }])
    await a.checkpoint()
    const synced = (path: string) => fs.calls.some((c) => c.op === 'sync' && c.path === path)
    for (const d of ['', 'checkin', 'checkin/pool%3ax']) expect(synced(join(dir, d)), `fsync of ${d || 'the root'}`).toBe(true)
    const before = fs.calls.length
    await a.commit([{ key: 'checkin/pool:x/members/07/a', value: undefined }])
    await a.checkpoint()
    const after = fs.calls.slice(before)
    const unlinkAt = after.findIndex((c) => c.op === 'unlink' && c.path.endsWith('07.json'))
    expect(unlinkAt).toBeGreaterThanOrEqual(0)
    expect(after.slice(unlinkAt).some((c) => c.op === 'sync' && c.path === join(dir, 'checkin/pool%3ax/members'))).toBe(true)
  })
})

describe('fault: disk full under the Store (issue 15 point 9)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-full-'))
  })
  afterEach(async () => cleanup())

  it('says so once a minute, shows it in health(), keeps retrying, and confirms once space returns', async () => {
    const clock = new FakeClock()
    const fs = new FaultyFs()
    const logged: Array<{ level: string; msg: string }> = []
    const log = {
      error: (_o: object, msg: string) => logged.push({ level: 'error', msg }),
      info: (_o: object, msg: string) => logged.push({ level: 'info', msg }),
    }
    const a = new FileAdapter(dir, { fs, checkpointMs: 3_600_000 })
    await a.open()
    const store = new Store(a, { clock, log })
    const ns = await store.open('p/')
    ns.set('m/alice', 10)
    await store.durable()
    expect(store.health()).toEqual({ writable: true, failedCommits: 0, refusedChanges: 0 })

    fs.spaceLeft = 0
    ns.set('m/bob', 20)
    let confirmed = false
    void store.durable().then(() => (confirmed = true))
    await until(() => store.health().writable === false)
    expect(store.health()).toMatchObject({ writable: false, lastError: expect.stringMatching(/ENOSPC/), failingSince: clock.now() })
    // three minutes of retries, one a second: an error line at the start and one a minute, not 180
    for (let s = 1; s <= 180; s++) {
      await clock.advance(1_000)
      await until(() => store.health().failedCommits > s) // that second's retry has failed
    }
    expect(logged.filter((l) => l.level === 'error')).toHaveLength(4)
    expect(confirmed).toBe(false)

    fs.spaceLeft = undefined
    await clock.advance(1_000)
    await until(() => confirmed)
    expect(store.health()).toMatchObject({ writable: true })
    expect(logged.at(-1)?.level).toBe('info')
    await store.close()
    const b = new FileAdapter(dir)
    await b.open()
    expect(await b.entries('p/')).toEqual([
      ['p/m/alice', 10],
      ['p/m/bob', 20],
    ])
    await b.close()
  })

  it('closing while the disk is still full fails the waiters instead of hanging', async () => {
    const fs = new FaultyFs()
    const a = new FileAdapter(dir, { fs })
    await a.open()
    const store = new Store(a, { clock: new FakeClock() })
    const ns = await store.open('p/')
    fs.spaceLeft = 0
    ns.set('m/bob', 20)
    const waiting = store.durable()
    await until(() => !store.health().writable)
    await expect(store.close()).rejects.toMatchObject({ code: 'ENOSPC' })
    await expect(waiting).rejects.toMatchObject({ code: 'ENOSPC' })
  })
})

/** Wait (real time, the disk's) until the store has got as far as `probe` says. */
async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 2))
  }
}
