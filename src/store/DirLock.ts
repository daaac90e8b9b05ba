import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { StoreLockedError } from './StorageAdapter.js'

// Node's fs has no file lock. fs-native-extensions (Holepunch; N-API) ships prebuilt binaries for
// Linux, macOS and Windows on x64 and arm64 inside its npm package, so installing it needs no
// compiler, no Node headers and no download beyond the registry. Its tryLock is an
// open-file-description lock on Linux (fcntl F_OFD_SETLK), flock(2) on macOS and LockFileEx on
// Windows: all three released by the kernel when the holder's files close.
const { tryLock } = createRequire(import.meta.url)('fs-native-extensions') as {
  tryLock(fd: number, opts?: { shared?: boolean }): boolean
}

/**
 * Keeps a second bot off a data directory: an exclusive lock on `<dir>/.lock`, held for as long
 * as the file stays open.
 *
 * Why a kernel lock and not a pid file: the kernel drops the lock the moment its holder's files
 * are closed, which happens when the process dies — before it becomes a zombie, whether it was
 * killed alone or with its whole process group, and however long its parent takes to reap it.
 * A pid can only be guessed from: a zombie still answers `kill(pid, 0)`, and after a container
 * restart the old pid often names some other live program. The pid written into the file is
 * only there to name the holder in the refusal message; it never decides anything.
 * Why an open-file-description lock and not classic fcntl(F_SETLK): POSIX record locks belong
 * to the process and are dropped when ANY descriptor of the file is closed; OFD locks (like
 * flock) belong to the open file description, so a second open of the same folder inside one
 * process is refused too. Node opens files with O_CLOEXEC, so no child process inherits the
 * lock. (The lock file is never deleted: removing it would let two processes lock two
 * different files of the same name.)
 */
export class DirLock {
  private constructor(private fd: number | undefined) {}

  /** Take the lock, or throw StoreLockedError naming the process that holds it. */
  static acquire(dir: string): DirLock {
    const file = join(dir, '.lock')
    const fd = openSync(file, 'a+')
    let locked: boolean
    try {
      locked = tryLock(fd)
    } catch (err) {
      closeSync(fd)
      throw err
    }
    if (!locked) {
      closeSync(fd)
      throw new StoreLockedError(dir, holderOf(file))
    }
    ftruncateSync(fd, 0)
    writeSync(fd, String(process.pid))
    return new DirLock(fd)
  }

  /** Let go (closing the file is what releases the lock). */
  release(): void {
    if (this.fd === undefined) return
    const fd = this.fd
    this.fd = undefined
    closeSync(fd)
  }
}

/** The holder's pid as it wrote it (it writes it right after locking: wait a moment for it). */
function holderOf(file: string): number {
  for (let i = 0; i < 20; i++) {
    const pid = Number(readFileSync(file, 'utf8').trim())
    if (Number.isSafeInteger(pid) && pid > 0) return pid
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10)
  }
  return 0
}
