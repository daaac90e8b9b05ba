import { readFileSync } from 'node:fs'
import * as fsp from 'node:fs/promises'
import type { Dirent } from 'node:fs'
import { dirname } from 'node:path'

/** An open file, as the store uses it (a subset of node's FileHandle). */
export interface StoreFile {
  /** Write `length` bytes of `buffer` from `offset`; may write fewer (a short write). */
  write(buffer: Buffer, offset: number, length: number): Promise<{ bytesWritten: number }>
  datasync(): Promise<void>
  sync(): Promise<void>
  truncate(length: number): Promise<void>
  stat(): Promise<{ size: number }>
  close(): Promise<void>
}

/**
 * Every file-system call the file store makes goes through this, so that fault tests can
 * put a misbehaving disk under it (short writes, ENOSPC, EIO, a failing open/rename/unlink,
 * a process killed at a chosen step: `tests/helpers/FaultyFs.ts`). In production it is node's
 * own `fs/promises` (`nodeFs`).
 */
export interface StoreFs {
  open(path: string, flags: string): Promise<StoreFile>
  readFile(path: string): Promise<Buffer>
  /** For a document parsed when first needed, long after the start: reads are synchronous there. */
  readFileSync(path: string): Buffer
  stat(path: string): Promise<{ size: number; mtimeMs: number }>
  readdir(path: string): Promise<Dirent[]>
  /** `mkdir -p`; resolves to the first directory it created, or undefined when it existed. */
  mkdir(path: string): Promise<string | undefined>
  rename(from: string, to: string): Promise<void>
  unlink(path: string): Promise<void>
}

export const nodeFs: StoreFs = {
  open: (path, flags) => fsp.open(path, flags),
  readFile: (path) => fsp.readFile(path),
  readFileSync: (path) => readFileSync(path),
  stat: (path) => fsp.stat(path),
  readdir: (path) => fsp.readdir(path, { withFileTypes: true }),
  mkdir: (path) => fsp.mkdir(path, { recursive: true }),
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
}

/** A small UTF-8 file's text, or undefined when there is none (any other error is thrown). */
export async function readTextIfExists(fs: StoreFs, file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file)).toString('utf8')
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw err
  }
}

/** fsync a directory so a rename, a new entry or a removal in it survives a crash. */
export async function syncDir(fs: StoreFs, dir: string): Promise<void> {
  const dh = await fs.open(dir, 'r')
  try {
    await dh.sync()
  } catch (err) {
    // some file systems refuse fsync on a directory (EINVAL); the rename is still atomic there
    if ((err as NodeJS.ErrnoException).code !== 'EINVAL') throw err
  } finally {
    await dh.close()
  }
}

/**
 * `mkdir -p` that survives a crash: every folder it creates is made durable by an fsync of
 * its parent (a new folder is an entry in its parent, lost with it on a power cut otherwise).
 */
export async function ensureDir(fs: StoreFs, dir: string): Promise<void> {
  const first = await fs.mkdir(dir)
  if (first === undefined) return
  // created: `first` and every folder below it down to `dir`; sync each one's parent
  const created: string[] = []
  for (let d = dir; ; d = dirname(d)) {
    created.push(d)
    if (d === first || dirname(d) === d) break
  }
  for (const d of created.reverse()) await syncDir(fs, dirname(d))
}

/** Write every byte of `buf` at the end of `fh`, going on after short writes. */
export async function writeAll(fh: StoreFile, buf: Buffer): Promise<void> {
  let done = 0
  while (done < buf.length) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done)
    if (bytesWritten <= 0) {
      // a write that makes no progress is a full disk that did not say so
      throw Object.assign(new Error(`no space left: wrote ${done} of ${buf.length} bytes`), { code: 'ENOSPC' })
    }
    done += bytesWritten
  }
}
