import { MemoryAdapter } from '../../src/store/MemoryAdapter.js'
import type { Change } from '../../src/store/StorageAdapter.js'

/**
 * A MemoryAdapter that records every commit — the batch of changes as the store hands it over
 * (`StorageAdapter.commit`), so a test can see what went to disk together — and can play a slow
 * disk: while `hold()` is on, commits are taken but do not complete until `release()`.
 */
export class SpyAdapter extends MemoryAdapter {
  /** Every commit, in order: copies of its changes. */
  readonly commits: Change[][] = []
  private gate: { promise: Promise<void>; open: () => void } | undefined
  private waiting = 0
  private readonly watchers: Array<{ match: (c: Change) => boolean; resolve: (batch: Change[]) => void }> = []

  /** From now on commits wait (a slow disk) until `release()`. */
  hold(): void {
    if (this.gate) return
    let open!: () => void
    const promise = new Promise<void>((resolve) => (open = resolve))
    this.gate = { promise, open }
  }

  /** Let every held commit complete, and the next ones go through at once. */
  release(): void {
    this.gate?.open()
    this.gate = undefined
  }

  /** Commits taken and not completed yet (held). */
  get held(): number {
    return this.waiting
  }

  /** The first commit with a change that matches: one already made, or the next to come. */
  commitWith(match: (c: Change) => boolean): Promise<Change[]> {
    const done = this.commits.find((batch) => batch.some(match))
    if (done) return Promise.resolve(done)
    return new Promise((resolve) => this.watchers.push({ match, resolve }))
  }

  override commit(changes: readonly Change[]): Promise<void> {
    const batch = changes.map((c) => ({ key: c.key, value: c.value === undefined ? undefined : structuredClone(c.value) }))
    this.commits.push(batch)
    for (const w of [...this.watchers]) {
      if (!batch.some(w.match)) continue
      this.watchers.splice(this.watchers.indexOf(w), 1)
      w.resolve(batch)
    }
    const done = super.commit(changes)
    const gate = this.gate
    if (!gate) return done
    this.waiting++
    return gate.promise.then(() => {
      this.waiting--
      return done
    })
  }
}
