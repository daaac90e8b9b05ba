import { dirname, basename, join } from 'node:path'
import type { Adapter } from 'lowdb'
import { StoreCorruptError } from './StorageAdapter.js'
import { nodeFs, syncDir, writeAll, type StoreFs } from './storeFs.js'

export { syncDir } from './storeFs.js'

/**
 * Write `text` to `file` so that after a crash the file holds either the old or the new
 * text, never a mix: temp file, every byte written, fsync, rename over the target, fsync the
 * directory. A failure removes the temp file and leaves the target as it was.
 * Written by hand because lowdb's own writer (steno) renames without fsync, and a rename
 * of an unsynced file can surface as an empty file after a power cut.
 */
export async function writeFileDurably(file: string, text: string, fs: StoreFs = nodeFs): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  const fh = await fs.open(tmp, 'w')
  try {
    try {
      await writeAll(fh, Buffer.from(text, 'utf8'))
      await fh.sync()
    } finally {
      await fh.close()
    }
    await fs.rename(tmp, file)
  } catch (err) {
    await fs.unlink(tmp).catch(() => {})
    throw err
  }
  await syncDir(fs, dirname(file))
}

/**
 * A lowdb adapter for one JSON document with durable, atomic writes and a clear error on
 * a file that does not parse (lowdb would throw a bare SyntaxError).
 */
export class DurableJSONFile<T> implements Adapter<T> {
  constructor(
    readonly file: string,
    private readonly fs: StoreFs = nodeFs,
  ) {}

  async read(): Promise<T | null> {
    let text: string
    try {
      text = (await this.fs.readFile(this.file)).toString('utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    return parseDocument<T>(this.file, text)
  }

  write(data: T): Promise<void> {
    return this.writeText(JSON.stringify(data))
  }

  /** Write an already serialized document (serialized earlier, at a consistent instant). */
  writeText(text: string): Promise<void> {
    return writeFileDurably(this.file, text, this.fs)
  }

  /** Remove the document, durably (the folder's fsync makes the removal survive a crash). */
  async remove(): Promise<void> {
    try {
      await this.fs.unlink(this.file)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    await syncDir(this.fs, dirname(this.file))
  }
}

/** A snapshot's text as a document, or StoreCorruptError naming the file. */
export function parseDocument<T>(file: string, text: string): T {
  try {
    const data = JSON.parse(text) as unknown
    if (data === null || typeof data !== 'object' || Array.isArray(data)) {
      throw new Error('expected a JSON object at the top')
    }
    return data as T
  } catch (err) {
    throw new StoreCorruptError(file, (err as Error).message || 'empty file')
  }
}
