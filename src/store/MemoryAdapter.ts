import { assertKey, type Change, type Json, type StorageAdapter, type StoreMetrics } from './StorageAdapter.js'

/** Keeps everything in a Map: for tests, benches and the sandbox's throw-away runs. */
export class MemoryAdapter implements StorageAdapter {
  private readonly data = new Map<string, Json>()
  readonly metrics: StoreMetrics = { commits: 0, fileWrites: 0 }

  async open(): Promise<void> {}

  async read(key: string): Promise<Json | undefined> {
    const v = this.data.get(key)
    return v === undefined ? undefined : structuredClone(v)
  }

  async entries(prefix: string): Promise<Array<[string, Json]>> {
    const out: Array<[string, Json]> = []
    for (const [k, v] of this.data) if (k.startsWith(prefix)) out.push([k, structuredClone(v)])
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  commit(changes: readonly Change[]): Promise<void> {
    try {
      for (const c of changes) assertKey(c.key)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    for (const c of changes) {
      if (c.value === undefined) this.data.delete(c.key)
      else this.data.set(c.key, structuredClone(c.value))
    }
    this.metrics.commits++
    return Promise.resolve()
  }

  async close(): Promise<void> {}
}
