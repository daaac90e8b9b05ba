import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { trackProcess } from './processRegistry.js'
import { waitFor } from './waitFor.js'

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

export interface BotProcessArgs {
  config: string
  data: string
  env: Record<string, string>
  home: string
  /**
   * Start it as a process manager does: `npm start -- --config … --data …`, detached into a
   * process group of its own (npm → sh → node), so that `killGroup()` can kill the whole group.
   */
  npm?: boolean
  /** The arguments after `node`, replacing the default command line (deployment tests). */
  command?: string[]
  cwd?: string
  /** More arguments after --config/--data (e.g. --store). */
  args?: string[]
}

/**
 * The bot as a user starts it: `node dist/src/cli/siyu.js start --config … --data …` (what
 * `npm start` runs; tests/globalSetup.ts builds dist/ when a source is newer) — or through
 * `npm start` itself, in its own process group — as a child
 * process, talking to a puppet service over gRPC. Collects its JSON log lines and stderr.
 */
export class BotProcess {
  readonly logs: LogLine[] = []
  readonly stderr: string[] = []
  readonly stdout: string[] = []
  readonly exited: Promise<number | null>
  private readonly child: ChildProcess

  /** Started through npm in a process group of its own (whose id is the child's pid). */
  readonly grouped: boolean

  constructor(args: BotProcessArgs) {
    const env = {
      PATH: process.env.PATH,
      HOME: args.home, // puppet-service keeps a cache under $HOME/.wechaty (and npm its logs)
      LOG_LEVEL: 'debug',
      WECHATY_LOG: 'silent',
      // the bot stops by itself if this test process dies without stopping it
      SIYU_WATCH_PID: String(process.pid),
      ...args.env,
    }
    const botArgs = ['--config', args.config, '--data', args.data, ...(args.args ?? [])]
    // `command` (the arguments after `node`) and `cwd` replace the default command line: the
    // deployment tests run the one from the systemd unit or the Dockerfile
    this.grouped = args.npm === true
    this.child = this.grouped
      ? spawn('npm', ['start', '--silent', '--', ...botArgs], { env, cwd: args.cwd, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
      : spawn(process.execPath, args.command ?? ['dist/src/cli/siyu.js', 'start', ...botArgs], { env, cwd: args.cwd, stdio: ['ignore', 'pipe', 'pipe'] })
    // before anything can fail: killed (with its process group) after the file if still running
    trackProcess(this.child, `bot ${args.config}`)
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.stdout.push(line)
      try {
        this.logs.push(JSON.parse(line) as LogLine)
      } catch {
        // not a log line (the sandbox's own output)
      }
    })
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.stderr.push(line))
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)))
  }

  get pid(): number | undefined {
    return this.child.pid
  }

  /** The log line, once it is there; fails at once if the bot exits first, with what it said on stderr then. */
  async waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    let exit: { code: number | null } | undefined
    void this.exited.then((code) => (exit = { code }))
    try {
      return await waitFor(
        () => {
          const line = this.logs.find(match)
          if (!line && exit) throw new Error(`the bot exited (${exit.code}) before log: ${what}`)
          return line
        },
        { timeoutMs, what: `log: ${what}` },
      )
    } catch (err) {
      throw new Error(`${(err as Error).message}; stderr: ${this.stderr.slice(-5).join(' | ')}`)
    }
  }

  /** Resolves once the bot logged in and loaded its rooms. */
  async ready(timeoutMs = 45_000): Promise<void> {
    await this.waitForLog((l) => l.msg === 'rooms loaded', 'rooms loaded after login', timeoutMs)
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal)
  }

  /** Signal every process of the group (npm, its shell, the bot): what systemd or Docker do. */
  killGroup(signal: NodeJS.Signals = 'SIGKILL'): void {
    if (!this.grouped || !this.child.pid) throw new Error('killGroup: this bot was not started through npm in a group of its own')
    try {
      process.kill(-this.child.pid, signal)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err
    }
  }

  /** Is any process of its group still running (zombies aside)? */
  groupAlive(): boolean {
    if (!this.grouped || !this.child.pid) return this.child.exitCode === null && this.child.signalCode === null
    try {
      process.kill(-this.child.pid, 0)
      return true
    } catch {
      return false
    }
  }

  /** SIGTERM, and the exit code; fails if the bot takes longer than the contract's 10 s. */
  async stop(): Promise<number | null> {
    if (this.grouped) return this.stopGroup()
    if (this.child.exitCode !== null) return this.child.exitCode
    this.kill('SIGTERM')
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref())
    const r = await Promise.race([this.exited, timeout])
    if (r === 'timeout') {
      this.kill('SIGKILL')
      await this.exited
      throw new Error('bot did not stop within 10 s of SIGTERM')
    }
    return r
  }

  /**
   * Through npm: SIGTERM to the whole group (as systemd's KillMode=control-group does), then
   * wait until every process of it is gone; the bot's own exit code is read
   * from its "stopped" log line. SIGKILL to the group after 10 s.
   */
  private async stopGroup(): Promise<number | null> {
    const deadline = Date.now() + 10_000
    if (this.groupAlive()) this.killGroup('SIGTERM')
    while (this.groupAlive()) {
      if (Date.now() > deadline) {
        this.killGroup('SIGKILL')
        throw new Error('bot did not stop within 10 s of SIGTERM')
      }
      await new Promise((r) => setTimeout(r, 20))
    }
    await this.exited
    return this.logs.some((l) => l.msg === 'stopped') ? 0 : (this.child.exitCode ?? 1)
  }
}
