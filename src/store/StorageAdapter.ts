import type { DocLoader, Documents } from './Documents.js'
import type { Json } from './keys.js'

export { splitKey, type Json } from './keys.js'

/** One key set to a value, or deleted (`value: undefined`). */
export interface Change {
  key: string
  value: Json | undefined
}

export interface StoreMetrics {
  /** Batches committed (one per group commit). */
  commits: number
  /** Physical file writes that were made durable (journal appends + snapshot rewrites). */
  fileWrites: number
}

/**
 * The tiny interface a storage backend implements (grammY-style): keys are `/`-separated
 * paths, values are JSON; a write or a delete is a commit of one change. The file adapter
 * (lowdb snapshots + a write-ahead journal), PostgreSQL and the memory adapter implement it
 * today; a Redis adapter maps it to GET/SET/DEL/SCAN and MULTI/EXEC.
 * `tests/unit/store/adapterContract.ts` is the suite every adapter must pass.
 */
export interface StorageAdapter {
  /** Open and recover; throws StoreCorruptError when stored data cannot be trusted. */
  open(): Promise<void>
  read(key: string): Promise<Json | undefined>
  /** Every key under `prefix` (which ends with `/`), with its value. */
  entries(prefix: string): Promise<Array<[string, Json]>>
  /**
   * Make all `changes` durable together: after a crash either all or none are there.
   * Implementations snapshot the values synchronously, before their first `await`, so the
   * caller may go on mutating its objects once this returns a promise.
   */
  commit(changes: readonly Change[]): Promise<void>
  close(): Promise<void>
  readonly metrics: StoreMetrics
  /**
   * Optional: the adapter keeps every document itself, durable state only (the file store, for
   * its checkpoints). The Store then reads through it (plus its changes not yet durable)
   * instead of keeping a second copy; the adapter applies each commit to it before the
   * commit's promise resolves, and parses a document only when it is first needed.
   */
  readonly documents?: Documents
  /**
   * Optional: every document (key directory) under `prefix`, each parsed when first needed —
   * for an adapter without `documents`, so that a start does not parse (or sort) what nothing
   * reads yet. Without it the Store loads `entries(prefix)`.
   */
  loadDocuments?(prefix: string): Promise<Array<[string, DocLoader]>>
  /**
   * What a failed commit means, when the adapter knows better than `commitFailureOf`:
   * `transient` (the disk, the connection: retried, its waiters wait), `refused` (this data
   * can never be stored: the Store isolates and drops the refused changes), undefined (neither).
   */
  failureOf?(err: Error): CommitFailure | undefined
}

export type CommitFailure = 'transient' | 'refused'

/**
 * The storage refuses data for a reason that will not go away: a value that cannot be
 * serialized, a key it cannot hold. Adapters throw it where they find such data themselves.
 */
export class DataRefusedError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'DataRefusedError'
  }
}

/** A change was refused by the storage and dropped: what waited for it to be stored is told so. */
export class NotStoredError extends Error {
  constructor(
    readonly key: string,
    cause: Error,
  ) {
    super(`not stored (the store refused it for good: ${cause.message})`, { cause })
    this.name = 'NotStoredError'
  }
}

/**
 * Any adapter's failures: file-system and network errors (`ENOSPC`, `EIO`, `ECONNRESET`…) are
 * transient; DataRefusedError, an invalid key and a value JSON cannot serialize (BigInt,
 * a cycle, a string too long) are refused; anything else is neither (reported, retried).
 */
export function commitFailureOf(err: Error): CommitFailure | undefined {
  if (err instanceof DataRefusedError || /^invalid store key /.test(err.message)) return 'refused'
  if ((err instanceof TypeError && /BigInt|circular/i.test(err.message)) || (err instanceof RangeError && /Invalid string length/.test(err.message))) {
    return 'refused'
  }
  const code = (err as NodeJS.ErrnoException).code
  return typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? 'transient' : undefined
}

/** Stored data that cannot be read back as written. The start stops; nothing is overwritten. */
export class StoreCorruptError extends Error {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super(
      `corrupt data file ${file}: ${detail}. siyu did not start and has not changed the file; ` +
        'restore it from a backup or move it aside, then start again.',
    )
    this.name = 'StoreCorruptError'
  }
}

/** Another live process holds the data directory. */
export class StoreLockedError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(`data directory ${dir} is in use by process ${pid}; stop it first or use another --data`)
    this.name = 'StoreLockedError'
  }
}

export function assertKey(key: string): void {
  if (!key || key.startsWith('/') || key.endsWith('/') || key.includes('//') || !key.includes('/')) {
    throw new Error(`invalid store key "${key}": use "dir/name" paths without empty segments`)
  }
}
