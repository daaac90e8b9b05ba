import { mkdir, open, readdir, readFile, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import { crc32 } from 'node:zlib'
import { syncDir } from './durableFile.js'
import { StoreCorruptError, type Json } from './StorageAdapter.js'

/** One committed batch: [key, value] sets and [key] deletes. */
export type JournalRecord = Array<[string, Json] | [string]>

export interface ReplayResult {
  records: JournalRecord[]
  /** Bytes of a half-written last record (a crash during an append); never confirmed. */
  tornBytes: number
  segments: number[]
}

/**
 * The write-ahead journal behind the file store. A group commit is one appended line
 * `<crc32>\t<json>\n` and one fdatasync, whatever the number of documents it touches, so
 * its cost follows the size of the change, not of the data. Snapshots (lowdb files) are
 * rewritten now and then by a checkpoint, after which older segments are deleted.
 * Hand-written: no maintained npm package offers an fsync'd, checksummed JSON journal.
 */
export class Journal {
  private fh: FileHandle | undefined
  private segment = 0
  bytes = 0

  constructor(readonly dir: string) {}

  static async replay(dir: string): Promise<ReplayResult> {
    await mkdir(dir, { recursive: true })
    const segments = (await readdir(dir))
      .map((n) => /^(\d+)\.jsonl$/.exec(n)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
    const records: JournalRecord[] = []
    let tornBytes = 0
    for (const seg of segments) {
      const file = join(dir, `${seg}.jsonl`)
      const text = await readFile(file, 'utf8')
      const lines = text.split('\n')
      // a complete segment ends with '\n', so the last piece is empty
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] ?? ''
        if (line === '') continue
        const rec = parseLine(line)
        const isLast = i === lines.length - 1 || lines.slice(i + 1).every((l) => l === '')
        if (rec) {
          if (i === lines.length - 1) {
            // no newline after it: the append was cut before its end marker
            tornBytes += Buffer.byteLength(line)
            continue
          }
          records.push(rec)
        } else if (isLast) {
          tornBytes += Buffer.byteLength(line)
        } else {
          throw new StoreCorruptError(file, `record ${i + 1} fails its checksum`)
        }
      }
    }
    return { records, tornBytes, segments }
  }

  /** Start a new segment after `after`; later appends go there. */
  async rotate(after: number): Promise<number> {
    const old = this.fh
    this.segment = after + 1
    this.fh = await open(join(this.dir, `${this.segment}.jsonl`), 'a')
    await syncDir(this.dir)
    this.bytes = 0
    await old?.close()
    return this.segment
  }

  get currentSegment(): number {
    return this.segment
  }

  /** Append a serialized record and make it durable. */
  async append(line: string): Promise<void> {
    if (!this.fh) throw new Error('journal is not open')
    const buf = Buffer.from(line, 'utf8')
    await this.fh.write(buf)
    await this.fh.datasync()
    this.bytes += buf.length
  }

  /** Delete segments up to and including `upTo` (their changes are in the snapshots now). */
  async dropThrough(upTo: number): Promise<void> {
    for (const name of await readdir(this.dir)) {
      const seg = /^(\d+)\.jsonl$/.exec(name)?.[1]
      if (seg !== undefined && Number(seg) <= upTo) await unlink(join(this.dir, name))
    }
    await syncDir(this.dir)
  }

  async close(): Promise<void> {
    await this.fh?.close()
    this.fh = undefined
  }
}

export function serializeRecord(rec: JournalRecord): string {
  const json = JSON.stringify(rec)
  return `${crc32(json).toString(16).padStart(8, '0')}\t${json}\n`
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
