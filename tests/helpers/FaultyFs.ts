import { nodeFs, type StoreFile, type StoreFs } from '../../src/store/storeFs.js'

export type FsOp = 'open' | 'write' | 'datasync' | 'sync' | 'truncate' | 'stat' | 'close' | 'readFile' | 'readdir' | 'mkdir' | 'rename' | 'unlink'

export interface FsCall {
  op: FsOp
  path: string
  /** open's flags; rename's target */
  detail?: string
}

interface Rule {
  match: (call: FsCall) => boolean
  code: string
  times: number
}

/** Thrown at and after the step where the simulated process was killed. */
export class Killed extends Error {
  constructor(readonly at: FsCall) {
    super(`killed at ${at.op} ${at.path}`)
  }
}

/**
 * A misbehaving disk for the file store's fault tests, over the real one (nodeFs):
 * - `fail(op, code, where)` makes matching calls fail with an errno code (EIO, ENOSPC, EMFILE…);
 * - `spaceLeft` is a full disk: writes write what still fits (a short write, no error), then
 *   fail with ENOSPC — what Linux does; `undefined` = space again;
 * - `killAt(where)` kills the process at a chosen step: that call (a write: after `partial`
 *   bytes of it) and every later one fail, and nothing more reaches the disk, as after kill -9;
 * - `calls` lists every call made, for assertions about fsyncs.
 */
export class FaultyFs implements StoreFs {
  readonly calls: FsCall[] = []
  spaceLeft: number | undefined
  private rules: Rule[] = []
  private kill: { match: (call: FsCall) => boolean; partial: number } | undefined
  killedAt: FsCall | undefined

  fail(op: FsOp, code: string, where: { path?: RegExp; times?: number; when?: (c: FsCall) => boolean } = {}): this {
    this.rules.push({
      match: (c) => c.op === op && (!where.path || where.path.test(c.path)) && (!where.when || where.when(c)),
      code,
      times: where.times ?? 1,
    })
    return this
  }

  killAt(match: (call: FsCall, index: number) => boolean, partial = 0): this {
    let index = 0
    this.kill = { match: (c) => match(c, index++), partial }
    return this
  }

  get dead(): boolean {
    return this.killedAt !== undefined
  }

  /** Count the calls that match. */
  count(op: FsOp, path?: RegExp): number {
    return this.calls.filter((c) => c.op === op && (!path || path.test(c.path))).length
  }

  /** Record the call, then die or fail as told; returns the bytes a write may write when killed. */
  private enter(call: FsCall): number | undefined {
    if (this.killedAt) throw new Killed(this.killedAt)
    this.calls.push(call)
    if (this.kill?.match(call)) {
      this.killedAt = call
      if (call.op === 'write' && this.kill.partial > 0) return this.kill.partial
      throw new Killed(call)
    }
    const rule = this.rules.find((r) => r.times > 0 && r.match(call))
    if (rule) {
      rule.times--
      throw Object.assign(new Error(`${rule.code}: injected failure, ${call.op} '${call.path}'`), { code: rule.code })
    }
    return undefined
  }

  async open(path: string, flags: string): Promise<StoreFile> {
    this.enter({ op: 'open', path, detail: flags })
    const fh = await nodeFs.open(path, flags)
    const self = this
    return {
      async write(buffer, offset, length) {
        const killedPartial = self.enter({ op: 'write', path })
        let n = length
        if (killedPartial !== undefined) n = Math.min(n, killedPartial)
        if (self.spaceLeft !== undefined) {
          if (self.spaceLeft <= 0) throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
          n = Math.min(n, self.spaceLeft)
          self.spaceLeft -= n
        }
        const r = await fh.write(buffer, offset, n)
        if (killedPartial !== undefined) throw new Killed(self.killedAt!)
        return r
      },
      async datasync() {
        self.enter({ op: 'datasync', path })
        await fh.datasync()
      },
      async sync() {
        self.enter({ op: 'sync', path })
        await fh.sync()
      },
      async truncate(length) {
        self.enter({ op: 'truncate', path })
        await fh.truncate(length)
      },
      async stat() {
        self.enter({ op: 'stat', path })
        return fh.stat()
      },
      async close() {
        // a dead process's files are closed by the kernel: let go of the handle, say nothing
        if (self.killedAt) return void (await fh.close().catch(() => {}))
        self.enter({ op: 'close', path })
        await fh.close()
      },
    }
  }

  async readFile(path: string): Promise<Buffer> {
    this.enter({ op: 'readFile', path })
    return nodeFs.readFile(path)
  }

  readFileSync(path: string): Buffer {
    this.enter({ op: 'readFile', path })
    return nodeFs.readFileSync(path)
  }

  async stat(path: string): Promise<{ size: number; mtimeMs: number }> {
    this.enter({ op: 'stat', path })
    return nodeFs.stat(path)
  }

  async readdir(path: string) {
    this.enter({ op: 'readdir', path })
    return nodeFs.readdir(path)
  }

  async mkdir(path: string): Promise<string | undefined> {
    this.enter({ op: 'mkdir', path })
    return nodeFs.mkdir(path)
  }

  async rename(from: string, to: string): Promise<void> {
    this.enter({ op: 'rename', path: from, detail: to })
    return nodeFs.rename(from, to)
  }

  async unlink(path: string): Promise<void> {
    this.enter({ op: 'unlink', path })
    return nodeFs.unlink(path)
  }
}
