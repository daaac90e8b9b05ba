import { describe, expect, it, beforeEach, afterEach } from 'vitest'
import type { StorageAdapter } from '../../../src/store/StorageAdapter.js'
import { Store } from '../../../src/store/Store.js'

export interface AdapterHarness {
  /** A new adapter over fresh, empty storage. */
  fresh(): Promise<StorageAdapter>
  /** A second adapter over the same storage as the last fresh() (a restart); undefined if volatile. */
  reopen?(): Promise<StorageAdapter>
  cleanup(): Promise<void>
}

/** The behaviour every storage adapter must have; run once per adapter. */
export function adapterContract(name: string, makeHarness: () => Promise<AdapterHarness>): void {
  describe(`StorageAdapter contract: ${name}`, () => {
    let h: AdapterHarness
    let a: StorageAdapter
    beforeEach(async () => {
      h = await makeHarness()
      a = await h.fresh()
      await a.open()
    })
    afterEach(async () => {
      await a.close()
      await h.cleanup()
    })

    it('reads back what was written, and nothing for an unknown key', async () => {
      await a.commit([{ key: 'skill/x/k', value: { n: 1, s: '签到' } }])
      expect(await a.read('skill/x/k')).toEqual({ n: 1, s: '签到' })
      expect(await a.read('skill/x/missing')).toBeUndefined()
    })

    it('deletes', async () => {
      await a.commit([{ key: 'skill/x/k', value: 1 }])
      await a.commit([{ key: 'skill/x/k', value: undefined }])
      expect(await a.read('skill/x/k')).toBeUndefined()
    })

    it('lists entries under a prefix only, sorted', async () => {
      await a.commit([
        { key: 'a/b/2', value: 2 },
        { key: 'a/b/1', value: 1 },
        { key: 'a/bc/3', value: 3 },
        { key: 'a/b/deep/4', value: 4 },
      ])
      expect(await a.entries('a/b/')).toEqual([
        ['a/b/1', 1],
        ['a/b/2', 2],
        ['a/b/deep/4', 4],
      ])
    })

    it('snapshots values at commit: later changes to the object are not stored', async () => {
      const v = { n: 1 }
      const p = a.commit([{ key: 'k/v', value: v }])
      v.n = 2
      await p
      expect(await a.read('k/v')).toEqual({ n: 1 })
    })

    it('keeps commits in call order', async () => {
      const all = []
      for (let i = 0; i < 50; i++) all.push(a.commit([{ key: 'k/n', value: i }]))
      await Promise.all(all)
      expect(await a.read('k/n')).toBe(49)
    })

    it('rejects keys without a directory', async () => {
      await expect(a.commit([{ key: 'flat', value: 1 }])).rejects.toThrow(/invalid store key/)
    })

    it('counts commits', async () => {
      const before = a.metrics.commits
      await a.commit([
        { key: 'k/1', value: 1 },
        { key: 'k/2', value: 2 },
      ])
      expect(a.metrics.commits).toBe(before + 1)
    })

    it('serves a Store: group commit batches writes from one turn', async () => {
      const store = new Store(a)
      const ns = await store.open('g/')
      const before = a.metrics.commits
      for (let i = 0; i < 100; i++) ns.set(`m/${i}`, i)
      await store.durable()
      expect(a.metrics.commits - before).toBe(1)
      expect(await a.read('g/m/99')).toBe(99)
    })

    it('survives a restart with its data', async () => {
      if (!h.reopen) return expect(h.reopen).toBeUndefined()
      await a.commit([
        { key: 'p/m/a', value: { total: 10 } },
        { key: 'p/ledger/1', value: { delta: 10 } },
      ])
      await a.close()
      a = await h.reopen()
      await a.open()
      expect(await a.read('p/m/a')).toEqual({ total: 10 })
      expect(await a.entries('p/')).toHaveLength(2)
    })
  })
}
