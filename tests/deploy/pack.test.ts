import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join, relative, sep } from 'node:path'
import { createInterface } from 'node:readline'
import * as tar from 'tar'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { COMMANDS } from '../../src/cli/commands.js'
import { freePort } from '../helpers/PuppetService.js'
import { alive, trackProcess } from '../helpers/processRegistry.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * The package as a new user gets it (issue 24): `npm pack` of this repo, the tarball's files
 * checked against what a package should carry, then installed into an empty project by a user
 * with a fresh HOME (no npm cache, no ~/.npmrc, none of this machine's npm settings) from the
 * npm registry alone, and driven as the README says: `npx siyu --help`, `npx siyu init --yes …`,
 * `npx siyu check`, `npx siyu start` (no token: the sandbox). Touches nothing beyond 127.0.0.1
 * and the registry; every process it starts is stopped (and tracked, so a failure leaves none).
 *
 * dist/ is what ships: tests/globalSetup.ts rebuilt it before the run if a source was newer, so
 * the pack skips `prepare` (--ignore-scripts) instead of running tsc again under other tests.
 */
const REPO = process.cwd()
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { name: string; version: string; bin: Record<string, string>; exports: Record<string, { types: string; default: string }> }

/** What the package deliberately carries; anything else in the tarball fails the test. */
const SHIPPED: RegExp[] = [
  /^package\.json$/,
  /^README\.md$/,
  /^dist\/(src|skills)\//, // compiled code (.js, .d.ts, .js.map) and the assets it reads next to itself
  /^config\/bot(\.accounts)?\.example\.yaml$/,
  /^config\/siyu\.schema\.json$/,
  /^config\/knowledge\/[^/]+\.md$/,
  /^config\/codes\/[^/]+\.txt$/, // the sandbox's fake coupon codes
  /^deploy\/(healthcheck\.mjs|siyu\.service)$/,
  /^docs\/[^/]+\.md$/,
]
/** Never in the package, whatever `files` says: development, state, secrets, build leftovers. */
const NEVER: RegExp[] = [
  /^(tests|bench|data|data-sandbox|\.ci|scripts|examples|node_modules|coverage|\.tmp)\//,
  /^(src|skills)\//, // TypeScript sources: the compiled dist/ ships (source maps carry the text)
  /^dist\/tests\//,
  /(?<!\.d)\.ts$/,
  /\.tsbuildinfo$/,
  /(^|\/)\.env(?!\.example$)/,
  /\.(pem|key|p12|pfx)$/,
  /memory-card\.json$/,
  /^package-lock\.json$/,
]
/** Secret-looking text in any shipped file (the docs' placeholders do not match). */
const SECRET = [/-----BEGIN [A-Z ]*PRIVATE KEY-----/, /\bpuppet_[a-z]+_[0-9a-f]{8}-[0-9a-f]{4}-/, /\bsk-[A-Za-z0-9]{32,}/]

/** What every user has; nothing of this machine's or this test run's npm, Wechaty or siyu settings. */
function newUserEnv(home: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { HOME: home, npm_config_cache: join(home, '.npm'), npm_config_devdir: join(home, '.node-gyp'), npm_config_update_notifier: 'false' }
  const keep = /^(PATH|TMPDIR|LANG|LC_ALL|TZ|NODE_EXTRA_CA_CERTS|SSL_CERT_FILE|SSL_CERT_DIR|https?_proxy|no_proxy|HTTPS?_PROXY|NO_PROXY)$/
  for (const [k, v] of Object.entries(process.env)) if (keep.test(k)) env[k] = v
  return env
}

interface Run {
  code: number | null
  signal: NodeJS.Signals | null
  out: string
}

/** Runs a command to its end (killed with its group after `timeoutMs`); its output, both streams together. */
function run(cmd: string, args: string[], o: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  const child = spawn(cmd, args, { cwd: o.cwd, env: o.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
  trackProcess(child, `${cmd} ${args.join(' ')}`)
  let out = ''
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()))
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()))
  const timer = setTimeout(() => killGroup(child, 'SIGKILL'), o.timeoutMs)
  return new Promise((resolve) =>
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, out })
    }),
  )
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal)
  } catch {
    // the group is gone
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8')
  } catch {
    return ''
  }
}

/** Lines of a running process, as they come; `next` resolves on the first that matches. */
class Lines {
  readonly all: string[] = []
  private waiters: Array<{ test: (l: string) => boolean; resolve: (l: string) => void }> = []

  constructor(child: ChildProcess) {
    for (const stream of [child.stdout!, child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.all.push(line)
        this.waiters = this.waiters.filter((w) => !(w.test(line) && (w.resolve(line), true)))
      })
    }
  }

  /** The first line (already seen or still to come) matching `pattern`; fails when the process ends first or after `ms`. */
  next(pattern: RegExp, ended: Promise<unknown>, ms: number): Promise<string> {
    const seen = this.all.find((l) => pattern.test(l))
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${ms} ms; the output:\n${this.all.join('\n')}`)), ms)
      this.waiters.push({ test: (l) => pattern.test(l), resolve: (l) => (clearTimeout(timer), resolve(l)) })
      void ended.then(() => {
        clearTimeout(timer)
        reject(new Error(`the process ended before a line matching ${pattern}; the output:\n${this.all.join('\n')}`))
      })
    })
  }
}

describe('the package as a new user gets it: npm pack → npm install <tarball> → npx siyu', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let tarball: string
  let files: string[]
  let project: string
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-pack-'))
    const packEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)))
    const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: REPO, env: packEnv, timeoutMs: 120_000 })
    expect(packed.code, packed.out).toBe(0)
    const name = (JSON.parse(packed.out.slice(packed.out.indexOf('['))) as Array<{ filename: string }>)[0]!.filename
    tarball = join(dir, name)
    files = []
    // the tarball itself, not npm's account of it: paths under the package/ prefix npm gives them
    await tar.t({ file: tarball, onReadEntry: (e) => void (e.type === 'File' && files.push(e.path.replace(/^package\//, ''))) })
    project = join(dir, 'project')
    await mkdir(project)
    env = newUserEnv(join(dir, 'home'))
    await mkdir(env.HOME!)
  }, 150_000)
  afterAll(async () => cleanup?.())

  it('the tarball holds dist/ (every compiled module and asset), the examples, docs and deploy files, and nothing else', async () => {
    expect(files.filter((f) => !SHIPPED.some((p) => p.test(f)))).toEqual([])
    expect(files.filter((f) => NEVER.some((p) => p.test(f)))).toEqual([])
    // every source module compiled, with its types, and every non-TypeScript file of src/ and skills/ copied beside it
    const expected: string[] = []
    for (const top of ['src', 'skills']) {
      for (const e of readdirSync(join(REPO, top), { recursive: true, withFileTypes: true })) {
        if (!e.isFile()) continue
        const path = relative(REPO, join(e.parentPath, e.name)).split(sep).join('/')
        if (path.endsWith('.ts')) expected.push(`dist/${path.replace(/\.ts$/, '.js')}`, `dist/${path.replace(/\.ts$/, '.d.ts')}`)
        else expected.push(`dist/${path}`)
      }
    }
    const shipped = new Set(files)
    expect(expected.filter((f) => !shipped.has(f))).toEqual([])
    // what package.json points at is there: the bin, the library and its types, the schema init links to
    for (const f of [pkg.bin.siyu!, pkg.exports['.']!.default, pkg.exports['.']!.types, 'config/siyu.schema.json', 'config/bot.example.yaml', 'deploy/siyu.service', 'README.md']) {
      expect(shipped.has(f.replace(/^\.\//, '')), f).toBe(true)
    }
    // no secret in any text shipped (read from the tarball)
    const leaks: string[] = []
    await tar.t({
      file: tarball,
      onReadEntry: (e) => {
        let text = ''
        e.on('data', (b: Buffer) => (text += b.toString('utf8')))
        e.on('end', () => SECRET.some((p) => p.test(text)) && leaks.push(e.path))
      },
    })
    expect(leaks).toEqual([])
  })

  it('installs into an empty project with a fresh HOME, from the npm registry alone', async () => {
    await writeFile(join(project, 'package.json'), JSON.stringify({ name: 'my-brand-bot', version: '1.0.0', private: true }, null, 2))
    const install = await run('npm', ['install', tarball, '--no-audit', '--no-fund'], { cwd: project, env, timeoutMs: 560_000 })
    expect(install.code, install.out).toBe(0)
    // a promise of package.json engines: nothing installed wants a newer Node than it says (no EBADENGINE warning)
    expect(install.out).not.toContain('EBADENGINE')
    expect(existsSync(join(project, 'node_modules', '.bin', 'siyu'))).toBe(true)
    // the runtime is the compiled output: no TypeScript toolchain comes with it
    for (const dev of ['tsx', 'typescript', 'vitest']) expect(existsSync(join(project, 'node_modules', dev)), dev).toBe(false)
  }, 600_000)

  it('npx siyu --help lists every subcommand; the library imports as `siyu` with its plugin', async () => {
    const help = await run('npx', ['siyu', '--help'], { cwd: project, env, timeoutMs: 60_000 })
    expect(help.code, help.out).toBe(0)
    for (const c of COMMANDS) expect(help.out).toMatch(new RegExp(`^  ${c.name} `, 'm'))
    expect(COMMANDS.map((c) => c.name)).toEqual(['start', 'check', 'backup', 'restore', 'migrate', 'init'])
    const lib = await run(process.execPath, ['--input-type=module', '-e', "const m = await import('siyu'); console.log(typeof m.siyu, typeof m.siyu({ config: 'x' }).stop)"], { cwd: project, env, timeoutMs: 60_000 })
    expect(lib.code, lib.out).toBe(0)
    expect(lib.out.trim()).toBe('function function')
  }, 120_000)

  it('npx siyu init --yes writes config/bot.yaml, and npx siyu check passes it (exit 0)', async () => {
    const init = await run('npx', ['siyu', 'init', '--yes', '--brand', '希思黎', '--group', 'fans=希思黎粉丝*', '--admin', 'wxid_boss', '--skills', 'welcome,checkin,points,live,autoreply', '--timezone', 'Asia/Shanghai'], { cwd: project, env, timeoutMs: 60_000 })
    expect(init.code, init.out).toBe(0)
    expect(existsSync(join(project, '.env.example'))).toBe(true)
    const yaml = await readFile(join(project, 'config', 'bot.yaml'), 'utf8')
    expect(yaml).toContain('希思黎粉丝*')
    // the operator's one edit for this machine: a console port nothing else here uses (init writes 7350)
    expect(yaml).toMatch(/^ {2}port: 7350\b/m)
    await writeFile(join(project, 'config', 'bot.yaml'), yaml.replace(/^( {2}port:) 7350\b/m, `$1 ${await freePort()}`))
    const check = await run('npx', ['siyu', 'check', '--config', 'config/bot.yaml'], { cwd: project, env, timeoutMs: 60_000 })
    expect(check.code, check.out).toBe(0)
    expect(check.out).toContain('config/bot.yaml: OK — 1 group(s)')
  }, 150_000)

  it('npx siyu start with no token comes up in the sandbox and stops on SIGTERM with a clean "stopped" (exit 0)', async () => {
    const startEnv = { ...env, LOG_LEVEL: 'info', SIYU_WATCH_PID: String(process.pid) }
    // its own process group, as in a terminal or a systemd unit: a stop signal reaches npx, sh and the bot
    const child = spawn('npx', ['siyu', 'start'], { cwd: project, env: startEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true })
    trackProcess(child, 'npx siyu start (packed)')
    try {
      const lines = new Lines(child)
      // 'close': every process holding its output (npx, sh, the bot) has ended
      const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('close', (code, signal) => resolve({ code, signal })))
      await lines.next(/沙盒 Sandbox: a simulated WeChat/, closed, 120_000)
      expect(lines.all.join('\n')).toContain('  [1] 希思黎粉丝1  (group fans)')
      // the bot says it is running once startApp has returned and its stop handlers are in place.
      // (A SIGTERM in the half second between the banner and this line, while the console starts,
      // is lost today — see the report of this test's branch; waiting here keeps that out of this test.)
      await lines.next(/"msg":"siyu is running"/, closed, 60_000)
      // SIGTERM to the bot itself (the node process npx started), as systemd or Docker signal it:
      // npx then ends with the bot's own exit code (a signal to the whole group kills npm first)
      const bot = alive({ pid: child.pid!, start: '', leader: true, what: '' }).filter((pid) => /node_modules\/\.bin\/siyu\0start/.test(cmdline(pid)))
      expect(bot).toHaveLength(1)
      process.kill(bot[0]!, 'SIGTERM')
      await lines.next(/"msg":"stopped"/, closed, 20_000)
      expect(await closed).toEqual({ code: 0, signal: null })
      expect(lines.all.filter((l) => /"level":(50|60)/.test(l))).toEqual([])
      expect(alive({ pid: child.pid!, start: '', leader: true, what: '' })).toEqual([])
    } finally {
      killGroup(child, 'SIGKILL')
    }
  }, 240_000)
})
