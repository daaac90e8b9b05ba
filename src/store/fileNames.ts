import { createHash } from 'node:crypto'
import { join } from 'node:path'
import { parseDocument, writeFileDurably } from './durableFile.js'
import { nodeFs, readTextIfExists, type StoreFs } from './storeFs.js'

/**
 * The longest folder or file-name segment the store makes, in bytes. File systems allow 255;
 * the rest is room for `.json` and the temp-file suffix (`.<name>.json.<pid>.tmp`).
 */
export const MAX_SEGMENT_BYTES = 200
/** Where a long segment keeps the start of its text, so the folder stays recognizable. */
const KEPT_PREFIX_BYTES = 160
/** Marks a shortened segment; `%~` never appears in an escaped one (`%` is always `%xx`). */
const SHORTENED = '%~'

/** The file that maps shortened segments back to the keys' own text. */
export const NAMES_FILE = '.names.json'

/**
 * Store keys → file names, reversibly. Each key segment becomes one folder or file name:
 * Unicode is kept, characters file systems reject are escaped as `%xx`, and a segment whose
 * name would pass MAX_SEGMENT_BYTES (an 84-character Chinese pool name is 259 bytes) is
 * shortened to its start plus `%~` and a hash of the whole; the mapping back is kept in
 * `.names.json`, written durably before any file of that name.
 */
export class FileNames {
  private readonly long = new Map<string, string>()
  private unsaved = false

  constructor(
    private readonly root: string,
    private readonly fs: StoreFs = nodeFs,
  ) {}

  async load(): Promise<void> {
    const file = join(this.root, NAMES_FILE)
    const text = await readTextIfExists(this.fs, file)
    if (text === undefined) return
    for (const [k, v] of Object.entries(parseDocument<Record<string, unknown>>(file, text))) {
      if (typeof v === 'string') this.long.set(k, v)
    }
  }

  /** Write new mappings durably (before the files that use them). */
  async save(): Promise<void> {
    if (!this.unsaved) return
    await writeFileDurably(join(this.root, NAMES_FILE), JSON.stringify(Object.fromEntries(this.long)), this.fs)
    this.unsaved = false
  }

  /** The path (under root, `.json` added) of a key directory's document. */
  fileOf(doc: string): string {
    return join(this.root, ...doc.split('/').map((s) => this.toName(s))) + '.json'
  }

  /** The key segment a file or folder name stands for; undefined for a shortened name not in the map. */
  fromName(name: string): string | undefined {
    if (name.includes(SHORTENED)) return this.long.get(name)
    return name.replace(/%([0-9a-f]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)))
  }

  private toName(seg: string): string {
    const escaped = escapeSegment(seg)
    if (Buffer.byteLength(escaped) <= MAX_SEGMENT_BYTES) return escaped
    let prefix = ''
    let bytes = 0
    for (const ch of seg) {
      const e = escapeSegment(ch)
      bytes += Buffer.byteLength(e)
      if (bytes > KEPT_PREFIX_BYTES) break
      prefix += e
    }
    const name = `${prefix}${SHORTENED}${createHash('sha256').update(seg).digest('hex').slice(0, 16)}`
    if (this.long.get(name) !== seg) {
      this.long.set(name, seg)
      this.unsaved = true
    }
    return name
  }
}

/** Group and pool names become directory names: keep Unicode, escape what file systems reject. */
export function escapeSegment(seg: string): string {
  return seg.replace(/[%\\/:*?"<>|.\x00-\x1f]/g, (c) => '%' + c.charCodeAt(0).toString(16).padStart(2, '0'))
}
