import type { Clock, Timer } from '../clock/Clock.js'
import { SystemClock } from '../clock/Clock.js'
import { dirMayHold, Documents, type DocRows } from './Documents.js'
import { commitFailureOf, NotStoredError, splitKey, type Change, type Json, type StorageAdapter } from './StorageAdapter.js'

/** Whether the store can write, for `#stats` and the console's `/healthz` (503 when not writable). */
export interface StoreHealth {
  writable: boolean
  /** The last failed commit's error, while commits fail. */
  lastError?: string
  /** When commits started failing (epoch ms), while they fail. */
  failingSince?: number
  /** Failed commit attempts since the bot started (each retry counts). */
  failedCommits: number
  /** Changes the storage refused for good (data it cannot take) and that were dropped, since the bot started. */
  refusedChanges: number
}

export interface StoreOptions {
  clock?: Clock
  /** Where the store says that writes fail (an error line a minute) and that they work again. */
  log?: { error(obj: object, msg: string): void; info(obj: object, msg: string): void }
  /** Retry a failed commit after this long (default 1 s). */
  retryMs?: number
}

/** Told of a change under a watched prefix: its directory and leaf, the value before and after (undefined: none). */
export type StoreWatcher = (dir: string, leaf: string, before: Json | undefined, after: Json | undefined) => void

/** How often, at most, the store logs that writes still fail. */
const FAILURE_LOG_EVERY_MS = 60_000

/**
 * Which writes a `durable()` call answers for: the changes made since the previous call
 * (positions `from`…`to` of the pending map they were written into). Only read when a change
 * was refused, to tell its own waiter and nobody else.
 */
interface Segment {
  map: Map<string, Json | undefined>
  from: number
  to: number
}

/**
 * What skills and the core read and write. Reads and writes are synchronous, on a cache of
 * the prefixes opened at start, so a handler never awaits between reading a value and
 * writing it back. Writes are collected and committed together (group commit): every
 * change made within one turn of the event loop, and every change made while the previous
 * commit was on its way to disk, goes to the adapter as one batch.
 *
 * `durable()` resolves once everything written so far is on disk; the send path waits for
 * it, so nothing is confirmed in chat before it is stored. When the disk fails (full, I/O
 * errors) the store keeps retrying, and `durable()` keeps waiting rather than failing: what
 * was waiting for it goes out once the disk takes writes again. Meanwhile it says so loudly
 * (an error line a minute, `health()`).
 *
 * A change the storage refuses for a reason that will not go away (PostgreSQL's data
 * exceptions such as a NUL character in a key, a value that cannot be serialized: see
 * `commitFailureOf`) must not hold every later change hostage: the failed batch is split until
 * the refused changes are found, those are dropped (logged, counted in `health()`), the rest is
 * committed, and only the `durable()` calls that answer for a dropped change reject (with
 * NotStoredError); the others resolve. A refused value stays in this process's memory until
 * it is overwritten or the bot restarts; it is not stored.
 */
export class Store {
  /**
   * What is durable: the adapter's own documents when it keeps them (the file store: one copy
   * of every document, shared), else the store's, filled at open and brought up to date as
   * commits succeed. Either way a document is parsed when first needed.
   */
  private readonly docs: Documents
  private readonly ownsDocs: boolean
  /**
   * Changes not durable yet (pending or in flight), by directory then leaf; `undefined` is a
   * deletion. Reads look here first. An entry goes once its commit succeeded, unless a newer
   * change of the key is pending.
   */
  private readonly overlay = new Map<string, Map<string, Json | undefined>>()
  private readonly watchers: Array<{ prefix: string; onChange: StoreWatcher }> = []
  private readonly opened = new Set<string>()
  private pending = new Map<string, Json | undefined>()
  private inFlight: Promise<void> | undefined
  private current: Deferred | undefined
  private next: Deferred | undefined
  private closed = false
  private closing = false
  private retry: Timer | undefined
  private readonly clock: Clock
  private readonly state: StoreHealth = { writable: true, failedCommits: 0, refusedChanges: 0 }
  private lastFailureLog = -Infinity
  /** Where the next durable() call's writes start in `pending`, and in the map of the batch in flight. */
  private pendingMark = 0
  private flushing: { map: Map<string, Json | undefined>; mark: number } | undefined
  /** Changes dropped as refused, by key: their waiters read this once the batch is over. */
  private readonly refused = new Map<string, { value: Json | undefined; err: Error }>()

  constructor(
    readonly adapter: StorageAdapter,
    private readonly options: StoreOptions = {},
  ) {
    this.clock = options.clock ?? new SystemClock()
    this.ownsDocs = adapter.documents === undefined
    this.docs = adapter.documents ?? new Documents()
  }

  /** Can the store write? (A copy; see StoreHealth.) */
  health(): StoreHealth {
    return { ...this.state }
  }

  /**
   * Make every key under `prefix` (a `/`-terminated path) readable. Idempotent. An adapter
   * that keeps its documents (the file store) has them already; others hand them over here,
   * as documents parsed when first needed when they can (`loadDocuments`).
   */
  async open(prefix: string): Promise<Namespace> {
    const p = prefix.endsWith('/') ? prefix : prefix + '/'
    if (![...this.opened].some((o) => p.startsWith(o))) {
      if (this.ownsDocs) {
        if (this.adapter.loadDocuments) {
          for (const [dir, load] of await this.adapter.loadDocuments(p)) if (!this.docs.has(dir)) this.docs.setLazy(dir, load)
        } else {
          const byDir = new Map<string, DocRows>()
          for (const [k, v] of await this.adapter.entries(p)) {
            const { dir, leaf } = splitKey(k)
            let rows = byDir.get(dir)
            if (!rows) byDir.set(dir, (rows = new Map()))
            rows.set(leaf, v)
          }
          for (const [dir, rows] of byDir) if (!this.docs.has(dir)) this.docs.setRows(dir, rows)
        }
      }
      this.opened.add(p)
    }
    return new Namespace(this, p)
  }

  isOpen(key: string): boolean {
    for (const o of this.opened) if (key.startsWith(o)) return true
    return false
  }

  get(key: string): Json | undefined {
    if (!this.isOpen(key)) throw new Error(`store key ${key} read before its prefix was opened`)
    const { dir, leaf } = splitKey(key)
    return this.read(dir, leaf)
  }

  /**
   * get(`${dir}/${leaf}`) for a caller that holds the two apart (a Table: each bucket's
   * directory made once), without building the key and splitting it again. `dir` must be under
   * an opened prefix (the caller checks once: see Table).
   */
  getAt(dir: string, leaf: string): Json | undefined {
    return this.read(dir, leaf)
  }

  private read(dir: string, leaf: string): Json | undefined {
    if (this.overlay.size > 0) {
      const o = this.overlay.get(dir)
      if (o?.has(leaf)) return o.get(leaf)
    }
    return this.docs.get(dir, leaf)
  }

  set(key: string, value: Json | undefined): void {
    const { dir, leaf } = splitKey(key)
    this.setAt(dir, leaf, value, key)
  }

  /** set(`${dir}/${leaf}`) for a caller that holds the two apart (see getAt). */
  setAt(dir: string, leaf: string, value: Json | undefined, key = `${dir}/${leaf}`): void {
    if (this.closed) throw new Error('store is closed')
    const watched = this.watchers.length > 0 && this.watchers.some((w) => key.startsWith(w.prefix))
    const before = watched ? this.read(dir, leaf) : undefined
    let o = this.overlay.get(dir)
    if (!o) this.overlay.set(dir, (o = new Map()))
    o.set(leaf, value)
    this.pending.set(key, value)
    this.schedule()
    if (watched) for (const w of [...this.watchers]) if (key.startsWith(w.prefix)) w.onChange(dir, leaf, before, value)
  }

  /** The directories holding keys under `prefix` (documents, parsed or not, and changes not durable yet). */
  directories(prefix: string): string[] {
    const out = new Set(this.docs.dirsUnder(prefix))
    for (const dir of this.overlay.keys()) if (dirMayHold(dir, prefix)) out.add(dir)
    return [...out]
  }

  /**
   * Be told, synchronously, of every change of a key under `prefix` (a set or a delete through
   * this store), with the value before it: what derived indexes (a pool's ranks) follow.
   * Returns the function that stops it.
   */
  watch(prefix: string, onChange: StoreWatcher): () => void {
    const w = { prefix, onChange }
    this.watchers.push(w)
    return () => {
      const i = this.watchers.indexOf(w)
      if (i >= 0) this.watchers.splice(i, 1)
    }
  }

  /** Keys under `prefix`, sorted (or in no particular order, which is cheaper, with `sorted: false`). */
  keys(prefix: string, sorted = true): string[] {
    const out: string[] = []
    this.each(prefix, (dir, leaf) => out.push(`${dir}/${leaf}`))
    return sorted ? out.sort() : out
  }

  /** Visit every key under `prefix` (given as directory and leaf) with its value, in no order. */
  each(prefix: string, visit: (dir: string, leaf: string, value: Json) => void): void {
    for (const dir of [...this.docs.dirsUnder(prefix)]) {
      const rows = this.docs.rows(dir)
      if (!rows) continue
      const o = this.overlay.get(dir)
      const whole = (dir + '/').startsWith(prefix)
      for (const [leaf, v] of rows) {
        if (o?.has(leaf)) continue
        if (whole || `${dir}/${leaf}`.startsWith(prefix)) visit(dir, leaf, v)
      }
    }
    for (const [dir, o] of [...this.overlay]) {
      if (!dirMayHold(dir, prefix)) continue
      const whole = (dir + '/').startsWith(prefix)
      for (const [leaf, v] of [...o]) if (v !== undefined && (whole || `${dir}/${leaf}`.startsWith(prefix))) visit(dir, leaf, v)
    }
  }

  /** Is this directory's document parsed yet? (For benches and tests of what loads lazily.) */
  isParsed(dir: string): boolean {
    return this.docs.isParsed(dir)
  }

  /**
   * A commit of `changes` succeeded: they are durable, and reads need no longer look past the
   * documents for them — except the `refused` ones, dropped and not stored: those never reach
   * the documents (which hold what is durable, and which the file store checkpoints) and stay
   * in the overlay, readable in this process until overwritten or the bot restarts (see the
   * class comment), as every watcher was told at `set`.
   */
  private committed(changes: readonly Change[], refused: readonly Change[]): void {
    const dropped = refused.length > 0 ? new Set(refused) : undefined
    if (this.ownsDocs) for (const c of changes) if (!dropped?.has(c)) this.docs.apply(c.key, c.value)
    for (const c of changes) {
      if (dropped?.has(c)) continue
      if (this.pending.has(c.key)) continue // changed again since: that change is still to come
      const { dir, leaf } = splitKey(c.key)
      const o = this.overlay.get(dir)
      if (!o) continue
      o.delete(leaf)
      if (o.size === 0) this.overlay.delete(dir)
    }
  }

  /**
   * Resolves when every change made before this call is durable — after retries, however long
   * the disk takes. Rejects when the change cannot ever be written: with NotStoredError when
   * the storage refused one of the changes made since the previous durable() call (see the
   * class comment), or when the adapter is closed or the store closes while writes still fail.
   */
  durable(): Promise<void> {
    const settled = this.settled()
    const segment = this.segment()
    if (!segment) return settled
    const out = settled.then(() => this.verdict(segment))
    // a failed commit is reported to whoever awaits durable(); never an unhandled rejection
    out.catch(() => {})
    return out
  }

  /** Resolves when everything written so far went through a commit (kept or refused). */
  private settled(): Promise<void> {
    if (this.pending.size > 0) return this.schedule()
    return this.current?.promise ?? Promise.resolve()
  }

  /** The writes this durable() call answers for, and the mark moved past them. */
  private segment(): Segment | undefined {
    if (this.pending.size > 0) {
      const seg = { map: this.pending, from: this.pendingMark, to: this.pending.size }
      this.pendingMark = this.pending.size
      return seg.from < seg.to ? seg : undefined
    }
    const f = this.flushing
    if (!f || !this.current || f.mark >= f.map.size) return undefined
    const seg = { map: f.map, from: f.mark, to: f.map.size }
    f.mark = f.map.size
    return seg
  }

  /** Throws NotStoredError when a change of the segment was refused (the same value, not a later one). */
  private verdict(seg: Segment): void {
    if (this.refused.size === 0) return
    let i = 0
    for (const [key, value] of seg.map) {
      if (i >= seg.to) break
      if (i++ < seg.from) continue
      const r = this.refused.get(key)
      if (r && r.value === value) throw new NotStoredError(key, r.err)
    }
  }

  /** Write out what is pending and stop accepting changes. */
  async close(): Promise<void> {
    // from now on a failed commit is final: waiters hear of it instead of waiting forever
    this.closing = true
    if (this.retry) {
      this.retry.cancel()
      this.retry = undefined
      if (!this.inFlight) this.flush()
    }
    try {
      await this.settled()
    } finally {
      this.closed = true
      await this.adapter.close()
    }
  }

  private schedule(): Promise<void> {
    if (!this.next) {
      this.next = deferred()
      // while commits fail, the retry timer decides when the next attempt is made
      if (!this.inFlight && !this.retry) setImmediate(() => this.flush())
    }
    return this.next.promise
  }

  private flush(): void {
    const batch = this.next
    if (!batch || this.inFlight) return
    this.next = undefined
    this.current = batch
    const changes: Change[] = [...this.pending].map(([key, value]) => ({ key, value }))
    this.flushing = { map: this.pending, mark: this.pendingMark }
    this.pending = new Map()
    this.pendingMark = 0
    const refused: Change[] = []
    // forgotten once the batch's waiters (also those carried to a retry) have read their verdicts
    const forget = (): void => {
      if (refused.length > 0) setImmediate(() => this.forgetRefused(refused))
    }
    batch.promise.then(forget, forget)
    let failed = false
    this.inFlight = this.commitIsolating(changes, refused).then(
      () => {
        this.committed(changes, refused)
        this.succeeded()
        batch.resolve()
      },
      (err: Error) => {
        failed = true
        // keep the changes for the next attempt unless newer values replaced them (or they were
        // refused); ahead of what was written meanwhile, so the next durable() caller's writes
        // stay its own (the earlier callers answer for these: they wait on this batch)
        const kept = changes.filter((c) => !this.pending.has(c.key) && !refused.includes(c))
        if (kept.length > 0) {
          this.pending = new Map([...kept.map((c): [string, Json | undefined] => [c.key, c.value]), ...this.pending])
          this.pendingMark += kept.length
        }
        this.failed(err)
        if (this.failureOf(err) === 'transient' && !this.closing) {
          // its waiters wait for the retry, which carries these changes
          const next = (this.next ??= deferred())
          next.promise.then(batch.resolve, batch.reject)
        } else batch.reject(err)
      },
    )
    void this.inFlight.finally(() => {
      this.inFlight = undefined
      this.current = undefined
      this.flushing = undefined
      if (failed && !this.closed && !this.closing) this.retryLater()
      else if (this.next) this.flush()
    })
  }

  /**
   * Commit `changes`; when the storage refuses them for good, split them in halves (again and
   * again) to find the refused ones, drop those into `refused`, and commit the rest. A
   * transient failure (disk, connection) on the way rejects: what is not committed yet is
   * retried with everything else.
   */
  private async commitIsolating(changes: Change[], refused: Change[]): Promise<void> {
    if (changes.length === 0) return
    try {
      await this.commitNow(changes)
    } catch (err) {
      if (this.failureOf(err as Error) !== 'refused') throw err
      if (changes.length === 1) return this.refuse(changes[0]!, err as Error, refused)
      const half = Math.ceil(changes.length / 2)
      await this.commitIsolating(changes.slice(0, half), refused)
      await this.commitIsolating(changes.slice(half), refused)
    }
  }

  /** The adapter's commit; one that throws instead of rejecting (a value that cannot be serialized) counts as a failed commit. */
  private commitNow(changes: Change[]): Promise<void> {
    try {
      // the store's values are never changed once set (Namespace): the file store keeps them as they are
      return this.adapter.commit(changes, { immutable: true })
    } catch (err) {
      return Promise.reject(err as Error)
    }
  }

  private failureOf(err: Error): 'transient' | 'refused' | undefined {
    return this.adapter.failureOf?.(err) ?? commitFailureOf(err)
  }

  private refuse(change: Change, err: Error, refused: Change[]): void {
    refused.push(change)
    this.refused.set(change.key, { value: change.value, err })
    this.state.refusedChanges++
    this.options.log?.error(
      { key: change.key, err: err.message, refusedChanges: this.state.refusedChanges },
      '数据被存储拒绝，已丢弃（未保存）；其他数据照常保存 / the store refused a change for good: it was dropped (not stored), its confirmation is withdrawn; everything else is stored',
    )
  }

  private forgetRefused(refused: readonly Change[]): void {
    for (const c of refused) if (this.refused.get(c.key)?.value === c.value) this.refused.delete(c.key)
  }

  private retryLater(): void {
    if (this.retry) return
    this.retry = this.clock.after(this.options.retryMs ?? 1000, () => {
      this.retry = undefined
      if (this.pending.size === 0 && !this.next) return
      this.next ??= deferred()
      this.flush()
    })
  }

  private failed(err: Error): void {
    const now = this.clock.now()
    const s = this.state
    s.failedCommits++
    s.lastError = err.message
    if (s.writable) {
      s.writable = false
      s.failingSince = now
    }
    if (now - this.lastFailureLog >= FAILURE_LOG_EVERY_MS) {
      this.lastFailureLog = now
      this.options.log?.error(
        { err, failingSinceMs: now - s.failingSince!, failedCommits: s.failedCommits, pendingChanges: this.pending.size },
        '数据写入失败（磁盘满或故障？）：未写入的不会被确认，每秒重试 / the data dir cannot be written: nothing new is confirmed until it can; retrying every second',
      )
    }
  }

  private succeeded(): void {
    const s = this.state
    if (s.writable) return
    this.options.log?.info({ failedForMs: this.clock.now() - s.failingSince!, failedCommits: s.failedCommits }, '数据写入恢复 / the data dir takes writes again; what waited for it goes out now')
    s.writable = true
    s.lastError = undefined
    s.failingSince = undefined
    this.lastFailureLog = -Infinity
  }
}

/**
 * A view on the keys under one prefix: a skill's own slice (`checkin/pool:sisley/`).
 * Values are treated as immutable: `update` returns a new value rather than changing one.
 */
export class Namespace {
  constructor(
    readonly store: Store,
    readonly prefix: string,
  ) {}

  get<T>(key: string): T | undefined {
    return this.store.get(this.prefix + key) as T | undefined
  }

  set<T>(key: string, value: T): void {
    this.store.set(this.prefix + key, value as Json)
  }

  update<T>(key: string, fn: (old: T | undefined) => T | undefined): T | undefined {
    const next = fn(this.get<T>(key))
    this.store.set(this.prefix + key, next as Json | undefined)
    return next
  }

  delete(key: string): void {
    this.store.set(this.prefix + key, undefined)
  }

  /** Keys (relative to this namespace) under `sub`, sorted unless `sorted` is false. */
  keys(sub = '', sorted = true): string[] {
    return this.store.keys(this.prefix + sub, sorted).map((k) => k.slice(this.prefix.length))
  }

  entries<T>(sub = '', sorted = true): Array<[string, T]> {
    return this.keys(sub, sorted).map((k) => [k, this.get<T>(k) as T])
  }

  child(name: string): Namespace {
    return new Namespace(this.store, `${this.prefix}${segment(name)}/`)
  }

  /**
   * A table of many rows (one per member) spread over `buckets` files, so that changing one
   * row rewrites a small file at checkpoint rather than one file holding every member.
   */
  table<T>(name: string, buckets = 32): Table<T> {
    return new Table<T>(this.child(name), buckets)
  }
}

export class Table<T> {
  /**
   * Each bucket's directory (`<prefix><bucket>`), made once: a row is read and written by its
   * directory and leaf, without building its key and splitting it again — rows are what the
   * busiest paths touch (activity points: a member's points and activity rows per message).
   */
  private readonly dirs: Array<string | undefined> = []
  private checkedOpen = false

  constructor(
    readonly ns: Namespace,
    readonly buckets: number,
  ) {}

  private key(id: string): string {
    return `${bucketOf(id, this.buckets)}/${segment(id)}`
  }

  private dir(id: string): string {
    if (!this.checkedOpen) {
      if (!this.ns.store.isOpen(this.ns.prefix)) throw new Error(`store key ${this.ns.prefix} read before its prefix was opened`)
      this.checkedOpen = true
    }
    const b = bucketIndex(id, this.buckets)
    return (this.dirs[b] ??= `${this.ns.prefix}${bucketName(b)}`)
  }

  get(id: string): T | undefined {
    return this.ns.store.getAt(this.dir(id), segment(id)) as T | undefined
  }

  set(id: string, row: T): void {
    this.ns.store.setAt(this.dir(id), segment(id), row as Json)
  }

  update(id: string, fn: (old: T | undefined) => T | undefined): T | undefined {
    return this.ns.update<T>(this.key(id), fn)
  }

  delete(id: string): void {
    this.ns.delete(this.key(id))
  }

  /** Every row, in no particular order. */
  rows(): Array<[string, T]> {
    const out: Array<[string, T]> = []
    this.forEach((id, row) => out.push([id, row]))
    return out
  }

  /** Visit every row (a scan: no keys are built). */
  forEach(visit: (id: string, row: T) => void): void {
    this.ns.store.each(this.ns.prefix, (_dir, leaf, v) => visit(unsegment(leaf), v as T))
  }
}

/** A path segment made from free text (names, ids): no `/`, never empty. */
export function segment(s: string): string {
  const out = s.replace(/[%/]/g, (c) => (c === '%' ? '%25' : '%2F'))
  return out === '' ? '%' : out
}

/** The free text a segment() was made from. */
export function unsegment(s: string): string {
  if (!s.includes('%')) return s
  return s === '%' ? '' : s.replace(/%2F/g, '/').replace(/%25/g, '%')
}

/** FNV-1a: a stable, cheap spread of ids over buckets (not a security hash). */
export function bucketOf(id: string, buckets: number): string {
  return bucketName(bucketIndex(id, buckets))
}

/** A bucket's directory name: its number, two digits at least. */
function bucketName(index: number): string {
  return index.toString().padStart(2, '0')
}

/** The bucket's number (bucketOf, before it is written as a directory name). */
function bucketIndex(id: string, buckets: number): number {
  let h = 0x811c9dc5
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  return (h >>> 0) % buckets
}

interface Deferred {
  promise: Promise<void>
  resolve: () => void
  reject: (err: Error) => void
}

function deferred(): Deferred {
  let resolve!: () => void
  let reject!: (err: Error) => void
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  // a failed commit is reported to whoever awaits durable(); never an unhandled rejection
  promise.catch(() => {})
  return { promise, resolve, reject }
}
