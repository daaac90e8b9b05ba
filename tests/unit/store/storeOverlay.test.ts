import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import type { Change, Json, StorageAdapter } from '../../../src/store/StorageAdapter.js'
import { Store } from '../../../src/store/Store.js'

/** An adapter whose commits wait until the test lets them through (or fails them). */
class GatedAdapter extends MemoryAdapter {
  gates: Array<{ changes: readonly Change[]; pass: () => void; fail: (err: Error) => void }> = []
  override commit(changes: readonly Change[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.gates.push({
        changes,
        pass: () => void super.commit(changes).then(resolve, reject),
        fail: reject,
      })
    })
  }
}

const turn = () => new Promise<void>((r) => setImmediate(r))

describe('Store: changes not durable yet sit beside the durable documents', () => {
  it('reads its own writes at once, before, during and after the commit; a newer write wins over an older commit', async () => {
    const a = new GatedAdapter()
    const store = new Store(a)
    const ns = await store.open('s/')
    ns.set('k/a', 1)
    expect(ns.get('k/a')).toBe(1)
    await turn()
    expect(a.gates).toHaveLength(1) // the first commit is on its way
    ns.set('k/a', 2) // changed again while it is in flight
    ns.set('k/b', 3)
    expect(ns.get('k/a')).toBe(2)
    a.gates[0]!.pass()
    await turn()
    expect(ns.get('k/a')).toBe(2) // the older commit's success does not bring back 1
    expect(ns.keys('k/')).toEqual(['k/a', 'k/b'])
    await turn()
    a.gates[1]!.pass()
    await store.durable()
    expect(ns.get('k/a')).toBe(2)
    expect(await a.read('s/k/a')).toBe(2)
  })

  it('a deletion hides the durable value at once, in get, keys and each', async () => {
    const a = new GatedAdapter()
    const store = new Store(a)
    const ns = await store.open('s/')
    ns.set('k/a', 1)
    ns.set('k/b', 2)
    await turn()
    a.gates[0]!.pass()
    await store.durable()
    ns.delete('k/a')
    expect(ns.get('k/a')).toBeUndefined()
    expect(ns.keys('k/')).toEqual(['k/b'])
    const seen: string[] = []
    store.each('s/', (_d, leaf) => seen.push(leaf))
    expect(seen).toEqual(['b'])
  })

  it('keeps a failed commit\'s values readable (they are retried), and a closed store refuses writes', async () => {
    const a = new GatedAdapter()
    const clock = new FakeClock()
    const store = new Store(a, { clock, retryMs: 10 })
    const ns = await store.open('s/')
    ns.set('k/a', 1)
    await turn()
    a.gates[0]!.fail(Object.assign(new Error('EIO: disk'), { code: 'EIO' }))
    await turn()
    expect(ns.get('k/a')).toBe(1)
    await clock.advance(10) // the retry
    expect(a.gates).toHaveLength(2) // retried with the same change
    expect(a.gates[1]!.changes).toEqual([{ key: 's/k/a', value: 1 }])
    a.gates[1]!.pass()
    await store.close()
    expect(() => ns.set('k/b', 2)).toThrow(/closed/)
  })

  it('tells watchers of every change under their prefix, with the value before', async () => {
    const store = new Store(new MemoryAdapter())
    const ns = await store.open('s/')
    const told: Array<[string, string, Json | undefined, Json | undefined]> = []
    const stop = store.watch('s/w/', (dir, leaf, before, after) => told.push([dir, leaf, before, after]))
    ns.set('w/1/a', 1)
    ns.set('w/1/a', 2)
    ns.set('other/x', 9)
    ns.delete('w/1/a')
    stop()
    ns.set('w/1/a', 3)
    expect(told).toEqual([
      ['s/w/1', 'a', undefined, 1],
      ['s/w/1', 'a', 1, 2],
      ['s/w/1', 'a', 2, undefined],
    ])
  })
})

describe('Store over the file store: one copy of every document', () => {
  let dir: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'siyu-overlay-'))
  })
  afterEach(async () => rm(dir, { recursive: true, force: true }))

  it('reads through the adapter\'s documents (no second copy), and holds only what is not durable yet', async () => {
    const a = new FileAdapter(dir, { checkpointMs: 3_600_000 })
    await a.open()
    const store = new Store(a)
    const ns = await store.open('p/')
    for (let i = 0; i < 100; i++) ns.set(`m/${i}`, { n: i })
    await store.durable()
    // the value the store returns is the adapter's own document value: the same object
    const adapterOwn = (a as StorageAdapter).documents!.get('p/m', '7')
    expect(ns.get('m/7')).toBe(adapterOwn)
    expect((store as unknown as { overlay: Map<string, unknown> }).overlay.size).toBe(0)
    await store.close()
  })
})
