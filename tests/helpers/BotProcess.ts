import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'
import { waitFor } from './waitFor.js'

export interface LogLine {
  level: number
  msg: string
  [k: string]: unknown
}

/**
 * The bot as a user starts it: `node --import tsx src/main.ts --config … --data …` (what
 * `npm start` runs), as a child process, talking to a puppet service over gRPC. Collects its
 * JSON log lines and stderr.
 */
export class BotProcess {
  readonly logs: LogLine[] = []
  readonly stderr: string[] = []
  readonly stdout: string[] = []
  readonly exited: Promise<number | null>
  private readonly child: ChildProcess

  constructor(args: { config: string; data: string; env: Record<string, string>; home: string; args?: string[] }) {
    this.child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', args.config, '--data', args.data, ...(args.args ?? [])], {
      env: {
        PATH: process.env.PATH,
        HOME: args.home, // puppet-service keeps a cache under $HOME/.wechaty
        LOG_LEVEL: 'debug',
        WECHATY_LOG: 'silent',
        ...args.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
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

  async waitForLog(match: (l: LogLine) => boolean, what: string, timeoutMs = 30_000): Promise<LogLine> {
    return waitFor(() => this.logs.find(match), { timeoutMs, what: `log: ${what}; stderr: ${this.stderr.slice(-5).join(' | ')}` })
  }

  /** Resolves once the bot logged in and loaded its rooms. */
  async ready(timeoutMs = 45_000): Promise<void> {
    await this.waitForLog((l) => l.msg === 'rooms loaded', 'rooms loaded after login', timeoutMs)
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    this.child.kill(signal)
  }

  /** SIGTERM, and the exit code; fails if the bot takes longer than the contract's 10 s. */
  async stop(): Promise<number | null> {
    if (this.child.exitCode !== null) return this.child.exitCode
    this.kill('SIGTERM')
    const timeout = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 10_000).unref())
    const r = await Promise.race([this.exited, timeout])
    if (r === 'timeout') {
      this.kill('SIGKILL')
      throw new Error('bot did not stop within 10 s of SIGTERM')
    }
    return r
  }
}
