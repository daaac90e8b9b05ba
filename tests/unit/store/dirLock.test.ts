import { spawn, type ChildProcess } from 'node:child_process'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { DirLock } from '../../../src/store/DirLock.js'
import { StoreLockedError } from '../../../src/store/StorageAdapter.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * The data-dir lock (issue 8 point 1): held by a live process it refuses, naming that process;
 * the moment its holder dies — even while the holder is an unreaped zombie — it is free.
 */
describe('data-dir lock', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const started: ChildProcess[] = []
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-lock-'))
  })
  afterEach(async () => {
    for (const c of started.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL')
    await cleanup()
  })

  /** Run `sh -c script` (with $DIR set); resolves with the pid the holder printed once it holds the lock. */
  const holder = (script: string): Promise<{ pid: number; sh: ChildProcess }> =>
    new Promise((resolve, reject) => {
      const sh = spawn('sh', ['-c', script], { env: { ...process.env, DIR: dir }, stdio: ['ignore', 'pipe', 'inherit'] })
      started.push(sh)
      sh.on('exit', (code) => reject(new Error(`holder exited early (${code})`)))
      createInterface({ input: sh.stdout! }).on('line', (line) => {
        const m = /^locked (\d+)$/.exec(line)
        if (m) resolve({ pid: Number(m[1]), sh })
      })
    })
  const HOLD = `${process.execPath} --import tsx tests/helpers/lockHolder.ts "$DIR"`

  it('refuses while another live process holds it, naming that process', async () => {
    const { pid, sh } = await holder(`exec ${HOLD}`)
    const err = await new FileAdapter(dir).open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreLockedError)
    expect((err as Error).message).toBe(`data directory ${dir} is in use by process ${pid}; stop it first or use another --data`)
    sh.kill('SIGKILL')
  })

  it('is free as soon as its holder is killed, while the holder is still a zombie nobody reaps', async () => {
    // the holder's parent becomes `sleep`, which never waits for its children
    const { pid } = await holder(`${HOLD} & exec sleep 600`)
    process.kill(pid, 'SIGKILL')
    // a zombie: every thread has exited (the leader shows Z a moment before its threads are done)
    const zombie = async (): Promise<boolean> =>
      (await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '')).replace(/^.*\) /, '')[0] === 'Z' &&
      (await readdir(`/proc/${pid}/task`).catch(() => [])).length === 1
    for (let i = 0; i < 400 && !(await zombie()); i++) await new Promise((r) => setTimeout(r, 5))
    expect(await zombie()).toBe(true) // dead but not reaped: kill(pid, 0) still succeeds
    expect(() => process.kill(pid, 0)).not.toThrow()
    const a = new FileAdapter(dir)
    await a.open()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(String(process.pid))
    await a.close()
  })

  it('a lock file naming some other live program does not block: we take the lock and name ourselves', async () => {
    await writeFile(join(dir, '.lock'), String(process.ppid))
    expect(() => process.kill(process.ppid, 0)).not.toThrow() // the pid in the file is alive
    const a = new FileAdapter(dir)
    await a.open()
    expect(await readFile(join(dir, '.lock'), 'utf8')).toBe(String(process.pid))
    // and the lock is really ours: a second opener is refused, naming this process
    const err = await new FileAdapter(dir).open().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(StoreLockedError)
    expect((err as StoreLockedError).message).toContain(`in use by process ${process.pid}`)
    await a.close()
  })

  it('a second open of the same folder inside one process is refused; closing the first frees it', async () => {
    const first = DirLock.acquire(dir)
    expect(() => DirLock.acquire(dir)).toThrow(StoreLockedError)
    first.release()
    const again = DirLock.acquire(dir)
    again.release()
  })
})
