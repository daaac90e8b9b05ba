import { readdir, stat } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { DirLock } from './DirLock.js'
import { docText, Documents, rowsOf } from './Documents.js'
import { DurableJSONFile, parseDocument, writeFileDurably } from './durableFile.js'
import { FileNames } from './fileNames.js'
import { Journal, serializeRecord, type JournalRecord } from './Journal.js'
import {
  assertKey,
  DataRefusedError,
  splitKey,
  StoreCorruptError,
  type Change,
  type Json,
  type StorageAdapter,
  type StoreMetrics,
} from './StorageAdapter.js'
import { ensureDir, nodeFs, readTextIfExists, type StoreFs } from './storeFs.js'

/**
 * One document as its file holds it: leaf → value. Leaves are ids and names from outside (a
 * contact id, a tag, a group name), so a document is never a plain object: in memory it is a
 * Map (Documents), and parsed or written it is an object without prototype (`rowsOf`,
 * `docText`): `__proto__` or `constructor` is a key like any other, kept and read back (on a
 * plain object `data['__proto__'] = v` would set the prototype, and the value would be lost at
 * the next checkpoint).
 */
type DocData = Record<string, Json>

/**
 * A document file at least this big is read and parsed when first needed rather than at open,
 * once it is known to be a file siyu wrote or checked whole (`.verified.json`). Smaller ones
 * are parsed at open, as every file was before: they cost little and most are read anyway.
 */
export const LAZY_MIN_BYTES = 64 * 1024

/**
 * The big documents siyu wrote or has parsed whole, as their files were then:
 * `{ "<key directory>": "<bytes>:<mtime ms>" }`. A file with another size or time (edited,
 * copied without its times, restored) is parsed whole at the next open.
 */
export const VERIFIED_FILE = '.verified.json'

export interface FileAdapterOptions {
  /** Checkpoint when the journal grows past this many bytes (default 8 MiB). */
  maxJournalBytes?: number
  /** Checkpoint at least this often while there are changes (default 30 s). */
  checkpointMs?: number
  onWarning?: (message: string) => void
  /** The file system under the store (fault tests put a misbehaving one here). */
  fs?: StoreFs
}

/** Folders at the top of the data dir that hold no documents. */
export const NOT_DOCUMENTS: ReadonlySet<string> = new Set([
  'journal',
  // the sandbox kept its data here before it moved to a sibling folder (`data-sandbox/`)
  'sandbox',
  // fetched https media and card thumbnails (src/media/MediaLibrary.ts): a cache, not state
  'media-cache',
])

/**
 * The file store under `--data`: one JSON document per key directory
 * (`checkin/pool/members/07/wxid_a` lives in `checkin/pool/members/07.json` under the key
 * `wxid_a`), plus a write-ahead journal that makes every group commit durable with one
 * append.
 *
 * A corrupt file stops the start before anything could be written over it: every file is
 * parsed at open, except a big one (≥ 64 KiB) that is as siyu last wrote or checked it (same
 * size and modification time, `.verified.json`) — that one is read and parsed only when first
 * needed, so a million members' ledger of past days costs nothing until someone reads it.
 * (A file damaged later without its size or time changing, bit rot, is found when it is first
 * read: the read fails naming the file, and the file is never written over, since only a
 * parsed document is.) The documents are shared with the Store
 * (`documents`): there is one copy of each in memory, the durable one; the Store keeps only
 * its changes not yet durable beside it.
 */
export class FileAdapter implements StorageAdapter {
  readonly metrics: StoreMetrics = { commits: 0, fileWrites: 0 }
  readonly documents = new Documents()
  private readonly dirty = new Set<string>()
  /** Key directory → its file's size and mtime when siyu last wrote or checked it (files of LAZY_MIN_BYTES and more). */
  private verified = new Map<string, string>()
  private verifiedChanged = false
  private readonly journal: Journal
  private readonly names: FileNames
  private readonly fs: StoreFs
  private lock: DirLock | undefined
  private chain: Promise<void> = Promise.resolve()
  private checkpointing: Promise<void> | undefined
  private lastCheckpoint = Date.now()
  private timer: NodeJS.Timeout | undefined
  private opened = false
  private readonly maxJournalBytes: number
  private readonly checkpointMs: number

  constructor(
    readonly root: string,
    private readonly options: FileAdapterOptions = {},
  ) {
    this.fs = options.fs ?? nodeFs
    this.journal = new Journal(join(root, 'journal'), this.fs)
    this.names = new FileNames(root, this.fs)
    this.maxJournalBytes = options.maxJournalBytes ?? 8 * 1024 * 1024
    this.checkpointMs = options.checkpointMs ?? 30_000
  }

  async open(): Promise<void> {
    await ensureDir(this.fs, this.root)
    this.lock = DirLock.acquire(this.root)
    try {
      await this.names.load()
      await this.loadVerified()
      const found = new Set<string>()
      await this.loadSnapshots(this.root, found)
      // checksums of files that are gone (removed documents) are not kept
      for (const doc of this.verified.keys()) if (!found.has(doc)) this.forget(doc)
      const replay = await Journal.replay(this.journal.dir, this.fs)
      for (const rec of replay.records) this.apply(rec)
      if (replay.tornBytes > 0) {
        this.options.onWarning?.(
          `journal ended in a half-written record (${replay.tornBytes} bytes, from a crash or a failed write); it was never confirmed and is ignored`,
        )
      }
      // numbered after the mark too: a segment at or below it would be skipped at the next start
      await this.journal.rotate(Math.max(replay.mark, ...replay.segments))
      this.opened = true
      if (replay.records.length > 0) await this.checkpoint()
      else if (replay.segments.some((s) => s <= replay.mark)) await this.journal.dropThrough(replay.mark)
      // files parsed whole at this start are trusted at the next one
      await this.saveVerified()
    } catch (err) {
      this.opened = false
      await this.journal.close().catch(() => {})
      this.releaseLock()
      throw err
    }
    this.timer = setInterval(() => void this.maybeCheckpoint(true), Math.min(this.checkpointMs, 5_000))
    this.timer.unref()
  }

  async read(key: string): Promise<Json | undefined> {
    const { dir: doc, leaf } = splitKey(key)
    const v = this.documents.get(doc, leaf)
    return v === undefined ? undefined : structuredClone(v)
  }

  async entries(prefix: string): Promise<Array<[string, Json]>> {
    const out: Array<[string, Json]> = []
    for (const doc of [...this.documents.dirsUnder(prefix)]) {
      for (const [leaf, v] of this.documents.rows(doc) ?? []) {
        const key = `${doc}/${leaf}`
        if (key.startsWith(prefix)) out.push([key, structuredClone(v)])
      }
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  commit(changes: readonly Change[]): Promise<void> {
    if (!this.opened) return Promise.reject(new Error('file store is not open'))
    try {
      for (const c of changes) {
        assertKey(c.key)
        // parse now what is not parsed yet: a document that does not parse (damaged since it was
        // last checked) refuses the change before anything reaches the journal
        this.documents.rows(splitKey(c.key).dir)
      }
    } catch (err) {
      return Promise.reject(err as Error)
    }
    // serialize now: the caller may change its objects as soon as we return
    let line: string
    try {
      line = serializeRecord(changes.map((c) => (c.value === undefined ? [c.key] : [c.key, c.value])))
    } catch (err) {
      // a value JSON cannot hold (a BigInt, a cycle): it never will, whatever the disk does
      return Promise.reject(new DataRefusedError(`a value cannot be written as JSON: ${(err as Error).message}`, { cause: err }))
    }
    const run = async (): Promise<void> => {
      await this.journal.append(line)
      // applied once durable, in journal order: a checkpoint (a step of this chain) sees
      // exactly what the journal holds, never a change whose append failed
      this.apply(JSON.parse(line.slice(9)) as JournalRecord)
      this.metrics.commits++
      this.metrics.fileWrites++
    }
    const p = this.chain.then(run)
    this.chain = p.catch(() => {})
    void p.then(() => this.maybeCheckpoint(false), () => {})
    return p
  }

  async close(): Promise<void> {
    if (!this.opened) return
    if (this.timer) clearInterval(this.timer)
    try {
      await this.chain
      await this.checkpointing?.catch(() => {})
      if (this.dirty.size > 0) await this.checkpoint()
    } finally {
      // what a failed final checkpoint did not write is in the journal, replayed at the next start
      this.opened = false
      await this.journal.close().catch(() => {})
      this.releaseLock()
    }
  }

  /**
   * Let go of the directory as a killed process would: no checkpoint, no flush, the lock
   * dropped. Fault tests use it to restart in-process after a simulated crash.
   */
  async abandon(): Promise<void> {
    if (this.timer) clearInterval(this.timer)
    this.opened = false
    await this.journal.close().catch(() => {})
    this.releaseLock()
  }

  /**
   * Rewrite the changed snapshots, record the mark, and drop the journal segments they now
   * contain. Any failure leaves the journal as the record of everything not yet in a snapshot.
   */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing
    const run = async (): Promise<void> => {
      // Take the snapshot as a step of the commit chain: at that instant the in-memory state is
      // exactly what the journal holds durably, and it is serialized before anything else runs.
      // The new segment is opened first: if that fails, nothing has changed.
      let snapshot: Array<[string, string | undefined]> = []
      let oldSegment = 0
      const step = this.chain.then(async () => {
        oldSegment = (await this.journal.rotate(this.journal.currentSegment)) - 1
        snapshot = [...this.dirty].map((doc) => {
          const rows = this.documents.rows(doc)
          return [doc, rows && rows.size > 0 ? docText(rows) : undefined]
        })
        this.dirty.clear()
      })
      this.chain = step.catch(() => {})
      await step
      try {
        const files = snapshot.map(([doc, text]) => [this.names.fileOf(doc), text] as const)
        await this.names.save()
        for (const [file, text] of files) {
          const adapter = new DurableJSONFile<DocData>(file, this.fs)
          if (text === undefined) {
            await adapter.remove()
          } else {
            await ensureDir(this.fs, dirname(file))
            await adapter.writeText(text)
            this.metrics.fileWrites++
          }
        }
        for (const [doc, text] of snapshot) {
          if (text !== undefined && text.length >= LAZY_MIN_BYTES) this.trust(doc, stamp(await this.fs.stat(this.names.fileOf(doc))))
          else this.forget(doc)
        }
        await this.saveVerified()
      } catch (err) {
        // their changes are still only in the kept journal segments: write them next time,
        // before any later checkpoint may drop those segments
        for (const [doc] of snapshot) this.dirty.add(doc)
        throw err
      }
      await this.journal.markThrough(oldSegment)
      await this.journal.dropThrough(oldSegment)
      this.lastCheckpoint = Date.now()
    }
    this.checkpointing = run().finally(() => {
      this.checkpointing = undefined
    })
    return this.checkpointing
  }

  private maybeCheckpoint(byTime: boolean): void {
    if (!this.opened || this.checkpointing || this.dirty.size === 0) return
    const due = this.journal.bytes >= this.maxJournalBytes || (byTime && Date.now() - this.lastCheckpoint >= this.checkpointMs)
    if (due) {
      this.checkpoint().catch((err: Error) => this.options.onWarning?.(`checkpoint failed (journal kept): ${err.message}`))
    }
  }

  private apply(rec: JournalRecord): void {
    for (const entry of rec) {
      const { dir: doc, leaf } = splitKey(entry[0])
      this.documents.set(doc, leaf, entry.length === 1 ? undefined : entry[1])
      this.dirty.add(doc)
    }
  }

  private async loadSnapshots(dir: string, found: Set<string>): Promise<void> {
    for (const ent of await this.fs.readdir(dir)) {
      const path = join(dir, ent.name)
      if (ent.isDirectory()) {
        if (dir === this.root && NOT_DOCUMENTS.has(ent.name)) continue
        await this.loadSnapshots(path, found)
      } else if (ent.isFile() && ent.name.endsWith('.tmp') && ent.name.startsWith('.')) {
        // a snapshot write cut short by a crash; its content is still in the journal
        await this.fs.unlink(path)
      } else if (ent.isFile() && ent.name.endsWith('.json') && !ent.name.startsWith('.')) {
        const parts = relative(this.root, path).slice(0, -'.json'.length).split(sep)
        const segments = parts.map((p) => this.names.fromName(p))
        if (segments.some((s) => s === undefined)) {
          throw new StoreCorruptError(path, 'its shortened name is not in .names.json')
        }
        const doc = segments.join('/')
        found.add(doc)
        await this.loadDocument(doc, path)
      }
    }
  }

  /**
   * A small file is parsed now. A big one is parsed now only when it is not as siyu last wrote
   * or checked it (then it is checked whole, and trusted from the next start on); else it is
   * read and parsed when first needed.
   */
  private async loadDocument(doc: string, path: string): Promise<void> {
    const parse = (bytes: Buffer) => rowsOf(parseDocument<DocData>(path, bytes.toString('utf8')))
    const st = await this.fs.stat(path)
    if (st.size < LAZY_MIN_BYTES) {
      this.documents.setRows(doc, parse(await this.fs.readFile(path)))
      return
    }
    if (!sameFile(this.verified.get(doc), st)) {
      parse(await this.fs.readFile(path)) // a corrupt file stops the start here, untouched
      this.trust(doc, stamp(st))
    }
    this.documents.setLazy(doc, () => parse(this.readLater(path)))
  }

  private readLater(path: string): Buffer {
    try {
      return this.fs.readFileSync(path)
    } catch (err) {
      throw new Error(`cannot read data file ${path}: ${(err as Error).message}`, { cause: err })
    }
  }

  private trust(doc: string, st: string): void {
    if (this.verified.get(doc) === st) return
    this.verified.set(doc, st)
    this.verifiedChanged = true
  }

  private forget(doc: string): void {
    if (this.verified.delete(doc)) this.verifiedChanged = true
  }

  /** The list (an unreadable one is no harm: every big file is then parsed at open). */
  private async loadVerified(): Promise<void> {
    const file = join(this.root, VERIFIED_FILE)
    const text = await readTextIfExists(this.fs, file)
    if (text === undefined) return
    try {
      for (const [doc, sum] of Object.entries(parseDocument<Record<string, unknown>>(file, text))) {
        if (typeof sum === 'string') this.verified.set(doc, sum)
      }
    } catch {
      this.options.onWarning?.(`${file} is unreadable: every big document is checked whole at this start, and the list written again`)
      this.verified.clear()
      this.verifiedChanged = true
    }
  }

  private async saveVerified(): Promise<void> {
    if (!this.verifiedChanged) return
    this.verifiedChanged = false
    try {
      await writeFileDurably(join(this.root, VERIFIED_FILE), JSON.stringify(Object.fromEntries(this.verified)), this.fs)
    } catch (err) {
      this.verifiedChanged = true
      throw err
    }
  }

  private releaseLock(): void {
    this.lock?.release()
    this.lock = undefined
  }

  /** Bytes on disk under the root (for benches and `npm run check`). */
  static async sizeOf(root: string): Promise<number> {
    let total = 0
    for (const ent of await readdir(root, { withFileTypes: true, recursive: true })) {
      if (ent.isFile()) total += (await stat(join(ent.parentPath, ent.name))).size
    }
    return total
  }
}

/** A file as it was: its size and modification time. */
function stamp(st: { size: number; mtimeMs: number }): string {
  return `${st.size}:${st.mtimeMs}`
}

/**
 * Is the file as stamped? Same size, and the same time within a millisecond: a copy that keeps
 * times (`cp -p`, a restore) sets them through a float of seconds and may land a few
 * nanoseconds off; an edit moves the time by far more.
 */
function sameFile(stamped: string | undefined, st: { size: number; mtimeMs: number }): boolean {
  if (stamped === undefined) return false
  const [size, mtime] = stamped.split(':').map(Number)
  return size === st.size && Math.abs(mtime! - st.mtimeMs) < 1
}
