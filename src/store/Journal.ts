import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { writeFileDurably } from './durableFile.js'
import { StoreCorruptError, type Json } from './StorageAdapter.js'
import { ensureDir, nodeFs, syncDir, writeAll, type StoreFile, type StoreFs } from './storeFs.js'

/** One committed batch: [key, value] sets and [key] deletes. */
export type JournalRecord = Array<[string, Json] | [string]>

export interface ReplayResult {
  records: JournalRecord[]
  /** Bytes of half-written records (a crash or a failed write during an append); never confirmed. */
  tornBytes: number
  /** Every segment number found, also those at or below the mark (to be deleted). */
  segments: number[]
  /** Segments up to and including this one are contained in the snapshots (0: none). */
  mark: number
}

/** The file naming the last segment whose changes the snapshots contain. */
export const MARK_FILE = 'checkpoint.json'

/**
 * The write-ahead journal behind the file store. A group commit is one appended line
 * `<crc32>\t<json>\n` and one fdatasync, whatever the number of documents it touches, so
 * its cost follows the size of the change, not of the data. Snapshots (lowdb files) are
 * rewritten now and then by a checkpoint, which then records its mark (`checkpoint.json`)
 * and deletes the segments at or below it, oldest first.
 * Hand-written: no maintained npm package offers an fsync'd, checksummed JSON journal.
 */
export class Journal {
  private fh: StoreFile | undefined
  private segment = 0
  private size = 0
  /** The current segment's tail may hold part of a failed record: the next append starts a new segment. */
  private broken = false

  constructor(
    readonly dir: string,
    private readonly fs: StoreFs = nodeFs,
  ) {}

  /** Every record after the mark, in order. Linear in the journal's size. */
  static async replay(dir: string, fs: StoreFs = nodeFs): Promise<ReplayResult> {
    await ensureDir(fs, dir)
    const mark = await Journal.readMark(dir, fs)
    const segments = await Journal.list(dir, fs)
    const records: JournalRecord[] = []
    let tornBytes = 0
    for (const seg of segments) {
      if (seg <= mark) continue // its changes are in the snapshots; a crash stopped its deletion
      const file = join(dir, `${seg}.jsonl`)
      const r = parseSegment(file, (await fs.readFile(file)).toString('utf8'))
      for (const rec of r.records) records.push(rec)
      tornBytes += r.tornBytes
    }
    return { records, tornBytes, segments, mark }
  }

  /** Segment numbers in the folder, ascending. */
  static async list(dir: string, fs: StoreFs = nodeFs): Promise<number[]> {
    return (await fs.readdir(dir))
      .map((e) => /^(\d+)\.jsonl$/.exec(e.name)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
  }

  static async readMark(dir: string, fs: StoreFs = nodeFs): Promise<number> {
    const file = join(dir, MARK_FILE)
    let text: string
    try {
      text = (await fs.readFile(file)).toString('utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 0
      throw err
    }
    const through = (() => {
      try {
        return (JSON.parse(text) as { through?: unknown }).through
      } catch {
        return undefined
      }
    })()
    if (typeof through !== 'number' || !Number.isSafeInteger(through) || through < 0) {
      throw new StoreCorruptError(file, 'expected {"through": <segment number>}')
    }
    return through
  }

  /**
   * Start a new segment after `after`; later appends go there. The new file is opened first:
   * when that fails nothing changes, and appends go on in the current segment.
   */
  async rotate(after: number): Promise<number> {
    const next = after + 1
    const fh = await this.fs.open(join(this.dir, `${next}.jsonl`), 'a')
    let size: number
    try {
      size = (await fh.stat()).size
      await syncDir(this.fs, this.dir)
    } catch (err) {
      await fh.close().catch(() => {})
      throw err
    }
    const old = this.fh
    this.fh = fh
    this.segment = next
    this.size = size
    // a leftover file of that number (a rotation that failed half-way) is not appended to
    this.broken = size > 0
    // everything in the old segment was fdatasync'd by its appends; a failed close loses nothing
    await old?.close().catch(() => {})
    return next
  }

  get currentSegment(): number {
    return this.segment
  }

  /** Bytes in the current segment. */
  get bytes(): number {
    return this.size
  }

  /**
   * Append a serialized record and make it durable. Every byte is written (a short write is
   * followed by the rest); on any failure the segment is cut back to its size before, so no
   * part of an unconfirmed record stays in front of later ones, and the promise rejects.
   */
  async append(line: string): Promise<void> {
    if (!this.fh) throw new Error('journal is not open')
    if (this.broken) await this.rotate(this.segment)
    const fh = this.fh!
    const buf = Buffer.from(line, 'utf8')
    const before = this.size
    let step = 'write'
    try {
      await writeAll(fh, buf)
      step = 'datasync'
      await fh.datasync()
    } catch (err) {
      try {
        await fh.truncate(before)
        await fh.datasync()
      } catch {
        this.broken = true
      }
      // after a failed fsync the kernel's view of the file cannot be trusted: start afresh
      if (step === 'datasync') this.broken = true
      throw err
    }
    this.size = before + buf.length
  }

  /** Record durably that the snapshots contain every change up to segment `through`. */
  async markThrough(through: number): Promise<void> {
    await writeFileDurably(join(this.dir, MARK_FILE), JSON.stringify({ through }), this.fs)
  }

  /**
   * Delete segments up to and including `upTo` (their changes are in the snapshots, and the
   * mark says so), oldest first: a crash in between leaves only newer ones.
   */
  async dropThrough(upTo: number): Promise<void> {
    for (const seg of await Journal.list(this.dir, this.fs)) {
      if (seg > upTo) break
      try {
        await this.fs.unlink(join(this.dir, `${seg}.jsonl`))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
    }
    await syncDir(this.fs, this.dir)
  }

  async close(): Promise<void> {
    const fh = this.fh
    this.fh = undefined
    await fh?.close()
  }
}

export function serializeRecord(rec: JournalRecord): string {
  const json = JSON.stringify(rec)
  return `${crc32(json).toString(16).padStart(8, '0')}\t${json}\n`
}

/**
 * The records of one segment. A last record without its newline, or failing its checksum,
 * was cut short (never confirmed) and is counted as torn; a bad record before the last is
 * corruption. One pass over the lines.
 */
export function parseSegment(file: string, text: string): { records: JournalRecord[]; tornBytes: number } {
  const lines = text.split('\n')
  // a complete segment ends with '\n', so the last piece is empty
  let last = lines.length - 1
  while (last >= 0 && lines[last] === '') last--
  const records: JournalRecord[] = []
  let tornBytes = 0
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!
    if (line === '') continue
    if (i === lines.length - 1) {
      // no newline after it: the append was cut before its end marker
      tornBytes += Buffer.byteLength(line)
      continue
    }
    const rec = parseLine(line)
    if (rec) records.push(rec)
    else if (i === last) tornBytes += Buffer.byteLength(line)
    else throw new StoreCorruptError(file, `record ${i + 1} fails its checksum`)
  }
  return { records, tornBytes }
}

function parseLine(line: string): JournalRecord | undefined {
  const tab = line.indexOf('\t')
  if (tab !== 8) return undefined
  const json = line.slice(9)
  if (crc32(json).toString(16).padStart(8, '0') !== line.slice(0, 8)) return undefined
  try {
    const rec = JSON.parse(json) as unknown
    return Array.isArray(rec) ? (rec as JournalRecord) : undefined
  } catch {
    return undefined
  }
}
