import { mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises'
import { dirname, join, relative, sep } from 'node:path'
import { Low } from 'lowdb'
import { DurableJSONFile } from './durableFile.js'
import { Journal, serializeRecord, type JournalRecord } from './Journal.js'
import {
  assertKey,
  splitKey,
  StoreLockedError,
  type Change,
  type Json,
  type StorageAdapter,
  type StoreMetrics,
} from './StorageAdapter.js'

type DocData = Record<string, Json>

export interface FileAdapterOptions {
  /** Checkpoint when the journal grows past this many bytes (default 8 MiB). */
  maxJournalBytes?: number
  /** Checkpoint at least this often while there are changes (default 30 s). */
  checkpointMs?: number
  onWarning?: (message: string) => void
}

/**
 * The file store under `--data`: one lowdb JSON document per key directory
 * (`checkin/pool/members/07/wxid_a` lives in `checkin/pool/members/07.json` under the key
 * `wxid_a`), plus a write-ahead journal that makes every group commit durable with one
 * append. Everything is loaded and parsed at open, so a corrupt file stops the start before
 * anything could be written over it.
 */
export class FileAdapter implements StorageAdapter {
  readonly metrics: StoreMetrics = { commits: 0, fileWrites: 0 }
  private readonly docs = new Map<string, Low<DocData>>()
  private readonly dirty = new Set<string>()
  private readonly journal: Journal
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
    this.journal = new Journal(join(root, 'journal'))
    this.maxJournalBytes = options.maxJournalBytes ?? 8 * 1024 * 1024
    this.checkpointMs = options.checkpointMs ?? 30_000
  }

  async open(): Promise<void> {
    await mkdir(this.root, { recursive: true })
    await this.lock()
    try {
      await this.loadSnapshots(this.root)
      const replay = await Journal.replay(this.journal.dir)
      for (const rec of replay.records) this.apply(rec)
      if (replay.tornBytes > 0) {
        this.options.onWarning?.(
          `journal ended in a half-written record (${replay.tornBytes} bytes, from a crash during a write); it was never confirmed and is ignored`,
        )
      }
      await this.journal.rotate(Math.max(0, ...replay.segments))
      this.opened = true
      if (replay.records.length > 0) await this.checkpoint()
    } catch (err) {
      await this.journal.close()
      await this.unlock()
      throw err
    }
    this.timer = setInterval(() => void this.maybeCheckpoint(true), Math.min(this.checkpointMs, 5_000))
    this.timer.unref()
  }

  async read(key: string): Promise<Json | undefined> {
    const { dir: doc, leaf } = splitKey(key)
    const v = this.docs.get(doc)?.data[leaf]
    return v === undefined ? undefined : structuredClone(v)
  }

  async entries(prefix: string): Promise<Array<[string, Json]>> {
    const out: Array<[string, Json]> = []
    for (const [doc, low] of this.docs) {
      if (!(doc + '/').startsWith(prefix) && !prefix.startsWith(doc + '/')) continue
      for (const [leaf, v] of Object.entries(low.data)) {
        const key = `${doc}/${leaf}`
        if (key.startsWith(prefix)) out.push([key, structuredClone(v)])
      }
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  write(key: string, value: Json): Promise<void> {
    return this.commit([{ key, value }])
  }

  delete(key: string): Promise<void> {
    return this.commit([{ key, value: undefined }])
  }

  commit(changes: readonly Change[]): Promise<void> {
    if (!this.opened) return Promise.reject(new Error('file store is not open'))
    try {
      for (const c of changes) assertKey(c.key)
    } catch (err) {
      return Promise.reject(err as Error)
    }
    // serialize now: the caller may change its objects as soon as we return
    const line = serializeRecord(changes.map((c) => (c.value === undefined ? [c.key] : [c.key, c.value])))
    const run = async (): Promise<void> => {
      // applied in journal order, so a checkpoint between two steps sees exactly what is durable
      this.apply(JSON.parse(line.slice(9)) as JournalRecord)
      await this.journal.append(line)
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
    await this.chain
    await this.checkpointing
    if (this.dirty.size > 0) await this.checkpoint()
    this.opened = false
    await this.journal.close()
    await this.unlock()
  }

  /** Rewrite the changed snapshots and drop the journal segments they now contain. */
  checkpoint(): Promise<void> {
    if (this.checkpointing) return this.checkpointing
    const run = async (): Promise<void> => {
      // Take the snapshot as a step of the commit chain: at that instant the in-memory state is
      // exactly what the journal holds durably, and it is serialized before anything else runs.
      let snapshot: Array<[string, string | undefined]> = []
      let oldSegment = 0
      const step = this.chain.then(async () => {
        oldSegment = this.journal.currentSegment
        snapshot = [...this.dirty].map((doc) => {
          const data = this.docs.get(doc)?.data
          return [doc, data && Object.keys(data).length > 0 ? JSON.stringify(data) : undefined]
        })
        this.dirty.clear()
        await this.journal.rotate(oldSegment)
      })
      this.chain = step.catch(() => {})
      await step
      try {
        for (const [doc, text] of snapshot) {
          const file = this.fileOf(doc)
          const adapter = new DurableJSONFile<DocData>(file)
          if (text === undefined) {
            await adapter.remove()
          } else {
            await mkdir(dirname(file), { recursive: true })
            await adapter.writeText(text)
            this.metrics.fileWrites++
          }
        }
      } catch (err) {
        // their changes are still only in the kept journal segments: write them next time,
        // before any later checkpoint may drop those segments
        for (const [doc] of snapshot) this.dirty.add(doc)
        throw err
      }
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
      let low = this.docs.get(doc)
      if (!low) {
        low = new Low<DocData>(new DurableJSONFile<DocData>(this.fileOf(doc)), {})
        this.docs.set(doc, low)
      }
      if (entry.length === 1) delete low.data[leaf]
      else low.data[leaf] = entry[1]
      this.dirty.add(doc)
    }
  }

  private fileOf(doc: string): string {
    return join(this.root, ...doc.split('/').map(escapeSegment)) + '.json'
  }

  private async loadSnapshots(dir: string): Promise<void> {
    for (const ent of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, ent.name)
      if (ent.isDirectory()) {
        if (dir === this.root && ent.name === 'journal') continue
        await this.loadSnapshots(path)
      } else if (ent.isFile() && ent.name.endsWith('.tmp') && ent.name.startsWith('.')) {
        // a snapshot write cut short by a crash; its content is still in the journal
        await unlink(path)
      } else if (ent.isFile() && ent.name.endsWith('.json') && !ent.name.startsWith('.')) {
        const rel = relative(this.root, path).slice(0, -'.json'.length)
        const doc = rel.split(sep).map(unescapeSegment).join('/')
        const low = new Low<DocData>(new DurableJSONFile<DocData>(path), {})
        await low.read()
        this.docs.set(doc, low)
      }
    }
  }

  private async lock(): Promise<void> {
    // A pid file rather than a lock library: after `kill -9` the restart must take over at
    // once, which mtime-based stale detection (proper-lockfile) would delay.
    const file = join(this.root, '.lock')
    const held = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (held && held !== process.pid && isAlive(held)) throw new StoreLockedError(this.root, held)
    await writeFile(file, String(process.pid))
  }

  private async unlock(): Promise<void> {
    const file = join(this.root, '.lock')
    const held = Number((await readFile(file, 'utf8').catch(() => '')).trim())
    if (held === process.pid) await unlink(file).catch(() => {})
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

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** Group and pool names become directory names: keep Unicode, escape what file systems reject. */
function escapeSegment(seg: string): string {
  return seg.replace(/[%\\/:*?"<>|.\x00-\x1f]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))
}

function unescapeSegment(seg: string): string {
  return seg.replace(/%([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
}
