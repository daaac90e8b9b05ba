import { open, rename, readFile, unlink } from 'node:fs/promises'
import { dirname, basename, join } from 'node:path'
import type { Adapter } from 'lowdb'
import { StoreCorruptError } from './StorageAdapter.js'

/**
 * Write `text` to `file` so that after a crash the file holds either the old or the new
 * text, never a mix: temp file, fsync, rename over the target, fsync the directory.
 * Written by hand because lowdb's own writer (steno) renames without fsync, and a rename
 * of an unsynced file can surface as an empty file after a power cut.
 */
export async function writeFileDurably(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`)
  const fh = await open(tmp, 'w')
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await rename(tmp, file)
  await syncDir(dirname(file))
}

/** fsync a directory so a rename or a new file in it survives a crash. */
export async function syncDir(dir: string): Promise<void> {
  const dh = await open(dir, 'r')
  try {
    await dh.sync()
  } catch {
    // some file systems refuse fsync on a directory; the rename is still atomic there
  } finally {
    await dh.close()
  }
}

/**
 * A lowdb adapter for one JSON document with durable, atomic writes and a clear error on
 * a file that does not parse (lowdb would throw a bare SyntaxError).
 */
export class DurableJSONFile<T> implements Adapter<T> {
  constructor(readonly file: string) {}

  async read(): Promise<T | null> {
    let text: string
    try {
      text = await readFile(this.file, 'utf8')
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null
      throw err
    }
    try {
      const data = JSON.parse(text) as unknown
      if (data === null || typeof data !== 'object' || Array.isArray(data)) {
        throw new Error('expected a JSON object at the top')
      }
      return data as T
    } catch (err) {
      throw new StoreCorruptError(this.file, (err as Error).message || 'empty file')
    }
  }

  write(data: T): Promise<void> {
    return this.writeText(JSON.stringify(data))
  }

  /** Write an already serialized document (serialized earlier, at a consistent instant). */
  writeText(text: string): Promise<void> {
    return writeFileDurably(this.file, text)
  }

  remove(): Promise<void> {
    return unlink(this.file).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== 'ENOENT') throw err
    })
  }
}
