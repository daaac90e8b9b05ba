import dockerignore from '@balena/dockerignore'
import { execFile } from 'node:child_process'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { copyFile, cp, mkdir, readdir, rm, symlink } from 'node:fs/promises'
import { createServer, type Server } from 'node:http'
import { builtinModules } from 'node:module'
import { join, posix, relative } from 'node:path'
import { DockerfileParser, type Instruction } from 'dockerfile-ast'
import ts from 'typescript'
import { afterAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { freePort } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * The deployment recipes (docs/deploy.md) checked as far as this machine allows: no systemd
 * runs as PID 1 here and no Docker engine runs, so the unit is checked by
 * `systemd-analyze verify` and by running its ExecStart; the Dockerfile by reading it and by
 * running its CMD in a copy of exactly what its COPY lines put in the image.
 */

const REPO = process.cwd()
const BOT_STOP_LIMIT_S = 10 // the contract: SIGTERM → exit 0 within 10 s
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups.reverse()) await c()
})

async function scratch(prefix: string): Promise<string> {
  const { dir, cleanup } = await tempDir(prefix)
  cleanups.push(cleanup)
  return dir
}

/** Start a command line as the recipe would, in the sandbox (no token); stop it with SIGTERM. */
async function runAndStop(
  command: string[],
  cwd: string,
  data: string,
  /** A log line to see before stopping it (what it loads in the background, e.g. the knowledge). */
  also?: { match: (l: Record<string, unknown>) => boolean; what: string },
): Promise<{ code: number | null; stopMs: number; bot: BotProcess }> {
  const home = await scratch('siyu-deploy-home-')
  const bot = new BotProcess({ config: '', data, env: { LOG_LEVEL: 'info', NODE_ENV: 'production' }, home, command, cwd })
  cleanups.push(async () => void bot.kill('SIGKILL'))
  await Promise.race([
    bot.ready(60_000),
    bot.exited.then((c) => {
      throw new Error(`the bot exited (${c}) before it was ready: ${bot.stderr.slice(-8).join(' | ')}`)
    }),
  ])
  if (also) await bot.waitForLog(also.match, also.what)
  const t0 = Date.now()
  const code = await bot.stop()
  return { code, stopMs: Date.now() - t0, bot }
}

// ---------------------------------------------------------------- systemd

/** A unit file as `section → key → values` (a key may repeat, as ExecStartPre can). */
function parseUnit(text: string): Map<string, Map<string, string[]>> {
  const sections = new Map<string, Map<string, string[]>>()
  let current: Map<string, string[]> | undefined
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue
    const section = /^\[(.+)\]$/.exec(line)
    if (section) {
      sections.set(section[1]!, (current = new Map()))
      continue
    }
    const eq = line.indexOf('=')
    if (!current || eq < 0) throw new Error(`not a unit line: ${line}`)
    const key = line.slice(0, eq).trim()
    current.set(key, [...(current.get(key) ?? []), line.slice(eq + 1).trim()])
  }
  return sections
}

/** A systemd time span (`20`, `20s`, `1min 30s`, `500ms`) in seconds. */
function seconds(span: string): number {
  const units: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, sec: 1, m: 60, min: 60, h: 3600, hr: 3600 }
  let total = 0
  for (const m of span.matchAll(/(\d+(?:\.\d+)?)\s*([a-z]*)/g)) total += Number(m[1]) * (units[m[2] || 's'] ?? NaN)
  return total
}

describe('deploy/siyu.service (systemd)', () => {
  const unitFile = join(REPO, 'deploy/siyu.service')
  const unit = parseUnit(readFileSync(unitFile, 'utf8'))
  const service = unit.get('Service')!
  const one = (key: string): string | undefined => service.get(key)?.at(-1)

  it('restarts on failure, but not for a bad config (exit 2) or an unusable data dir (exit 3)', () => {
    expect(['on-failure', 'always']).toContain(one('Restart'))
    expect(seconds(one('RestartSec') ?? '0.1')).toBeGreaterThan(0)
    expect(one('RestartPreventExitStatus')?.split(/\s+/)).toEqual(expect.arrayContaining(['2', '3']))
  })

  it(`waits longer than the bot's own ${BOT_STOP_LIMIT_S} s after SIGTERM, which goes to node itself`, () => {
    const stop = seconds(one('TimeoutStopSec') ?? one('TimeoutSec') ?? '90')
    expect(stop).toBeGreaterThan(BOT_STOP_LIMIT_S)
    expect(['mixed', 'control-group']).toContain(one('KillMode') ?? 'control-group')
    expect(one('KillSignal') ?? 'SIGTERM').toBe('SIGTERM')
    // node is the main process (not npm, which would sit between systemd and the bot)
    expect(one('ExecStart')!.split(/\s+/)[0]).toMatch(/(^|\/)node$/)
  })

  it('runs as a dedicated user, from a WorkingDirectory, with tokens in an EnvironmentFile outside the code', () => {
    expect(one('User')).toBeTruthy()
    expect(one('User')).not.toBe('root')
    const workdir = one('WorkingDirectory')!
    expect(posix.isAbsolute(workdir)).toBe(true)
    const envFile = one('EnvironmentFile')!.replace(/^-/, '')
    expect(posix.isAbsolute(envFile)).toBe(true)
    expect(envFile.startsWith(`${workdir}/`)).toBe(false) // never in the checkout (git, backups of code)
    expect(one('NoNewPrivileges')).toBe('true')
    // the example for that file holds no value for any secret
    const example = readFileSync(join(REPO, 'deploy/siyu.env.example'), 'utf8')
    for (const line of example.split('\n').filter((l) => /^[A-Z_]+=/.test(l))) {
      if (/TOKEN|KEY|SECRET/.test(line)) expect(line, 'a secret in the example').toMatch(/=$/)
    }
  })

  it.skipIf(!existsSync('/usr/bin/systemd-analyze') && !existsSync('/bin/systemd-analyze'))('systemd-analyze verify has nothing to say about it', async () => {
    const r = await new Promise<{ code: number; out: string }>((resolve) =>
      execFile('systemd-analyze', ['verify', unitFile], (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr })),
    )
    // unknown keys and bad values are only warnings (exit 0): any output at all is a finding
    expect(r).toEqual({ code: 0, out: '' })
  })

  it('its ExecStart, run from the WorkingDirectory, starts the bot; SIGTERM stops it with exit 0 within TimeoutStopSec', async () => {
    const workdir = one('WorkingDirectory')!
    const stateDir = `/var/lib/${one('StateDirectory')}`
    const [node, ...args] = one('ExecStart')!.split(/\s+/)
    expect(node).toBe('node')
    // the compiled script (dist/, built by `npm ci`), at the path the unit names relative to WorkingDirectory
    const script = args[0]!
    expect(script).toMatch(/^dist\/.*\.js$/)
    expect(existsSync(join(REPO, script)), script).toBe(true)
    const config = args[args.indexOf('--config') + 1]!
    const data = args[args.indexOf('--data') + 1]!
    expect(config.startsWith(`${workdir}/`), 'the config lives in the checkout (relative knowledge paths)').toBe(true)
    expect(data.startsWith(`${stateDir}/`), 'the data lives in the StateDirectory').toBe(true)

    // this machine: the repo stands for WorkingDirectory, the example for the operator's config
    const dataHere = await scratch('siyu-unit-data-')
    const command = args.map((a) => (a === config ? join(REPO, 'config/bot.example.yaml') : a === data ? dataHere : a))
    const { code, stopMs, bot } = await runAndStop(command, REPO, dataHere)
    expect(code).toBe(0)
    expect(stopMs).toBeLessThan(seconds(one('TimeoutStopSec')!) * 1000)
    expect(bot.logs.some((l) => l.msg === 'stopped')).toBe(true)
    // no token: the sandbox, whose data goes to the sibling `<data>-sandbox` (apart from live data)
    const sandboxData = `${dataHere}-sandbox`
    cleanups.push(() => rm(sandboxData, { recursive: true, force: true }))
    expect(await readdir(sandboxData), 'the bot kept its data beside where --data says').not.toEqual([])
  }, 90_000)
})

// ---------------------------------------------------------------- Docker

/** The strings of an exec-form (JSON) argument list, e.g. `CMD ["node", "x"]`. */
function execForm(content: string | null): string[] {
  const parsed: unknown = JSON.parse(content ?? '')
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) throw new Error(`not an exec-form list: ${content}`)
  return parsed
}

describe('Dockerfile', () => {
  const df = DockerfileParser.parse(readFileSync(join(REPO, 'Dockerfile'), 'utf8'))
  const instructions = df.getInstructions()
  const all = (keyword: string): Instruction[] => instructions.filter((i) => i.getKeyword() === keyword)
  const args = (i: Instruction): string[] => i.getArguments().map((a) => a.getValue())
  const cmd = execForm(all('CMD').at(-1)!.getArgumentsContent())
  const workdir = args(all('WORKDIR').at(-1)!)[0]!
  const ignore = dockerignore({ ignorecase: false }).add(readFileSync(join(REPO, '.dockerignore'), 'utf8'))
  const copies = all('COPY').map((i) => {
    const a = args(i).filter((x) => !x.startsWith('--'))
    const flags = (i as unknown as { getFlags(): Array<{ getName(): string; getValue(): string | null }> }).getFlags()
    const from = flags.find((f) => f.getName() === 'from')?.getValue() ?? undefined
    return { sources: a.slice(0, -1), target: a.at(-1)!, from }
  })
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }

  it('a tested Node line, slim; built from the lock file, then the dev dependencies dropped', () => {
    for (const from of df.getFROMs()) {
      expect(from.getImageName()).toBe('node')
      expect(from.getImageTag()).toMatch(/^(20|22|24)(\.\d+)*-(bookworm-)?slim$/)
    }
    const runs = all('RUN').map((r) => r.getArgumentsContent() ?? '')
    // `npm ci` builds dist/ (prepare needs typescript), `npm prune --omit=dev` drops the rest
    expect(runs.some((r) => /\bnpm ci\b/.test(r) && !/\bnpm ci\b[^&]*--omit=dev/.test(r) && /\bnpm prune\b[^&]*--omit=dev/.test(r))).toBe(true)
    expect(copies.some((c) => c.sources.includes('package-lock.json'))).toBe(true)
    // the image gets the build's dist/ and node_modules, never the TypeScript sources
    expect(copies.filter((c) => c.from === 'build').map((c) => c.target)).toEqual(expect.arrayContaining(['./dist', './node_modules']))
    expect(copies.filter((c) => !c.from && c.target !== './src' && c.target !== './skills').length).toBeGreaterThan(0)
  })

  it('with --omit=dev the bot still has all it runs: the compiled command, the puppets by name, and every package src/ and skills/ import', async () => {
    const deps = new Set(Object.keys(pkg.dependencies))
    expect(cmd.slice(0, 3)).toEqual(['node', 'dist/src/cli/siyu.js', 'start'])
    expect(existsSync(join(REPO, cmd[1]!)), 'npm ci built the command').toBe(true)
    expect(deps, 'tsx runs only in development and tests').not.toContain('tsx')
    for (const name of ['wechaty-puppet-service', 'wechaty-puppet-mock', 'pino-pretty']) expect(deps, name).toContain(name)
    const imported = new Set<string>()
    const files = async (dir: string): Promise<string[]> =>
      (await readdir(join(REPO, dir), { recursive: true })).filter((f) => f.endsWith('.ts')).map((f) => join(REPO, dir, f))
    for (const file of [...(await files('src')), ...(await files('skills'))]) {
      const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest)
      const visit = (node: ts.Node): void => {
        if ((ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) || (ts.isExportDeclaration(node) && !node.isTypeOnly)) {
          if (node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) imported.add(node.moduleSpecifier.text)
        }
        if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && ts.isStringLiteral(node.arguments[0]!)) {
          imported.add(node.arguments[0].text)
        }
        ts.forEachChild(node, visit)
      }
      visit(source)
    }
    const packages = [...imported]
      .filter((s) => !s.startsWith('.') && !s.startsWith('node:') && !builtinModules.includes(s))
      .map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!))
    expect(packages.length).toBeGreaterThan(5)
    for (const name of new Set(packages)) expect(deps, `${name} is imported at run time but is not in dependencies`).toContain(name)
  })

  it('every COPY source exists and is not left out by .dockerignore; no secret or data goes into the build', () => {
    // (a COPY --from=build takes the build stage's files, not the context's)
    for (const { sources } of copies.filter((c) => !c.from)) {
      for (const source of sources) {
        expect(existsSync(join(REPO, source)), source).toBe(true)
        expect(ignore.ignores(source), `${source} is in .dockerignore`).toBe(false)
      }
    }
    for (const kept of ['data', 'data/checkin/x.json', 'node_modules', '.git', 'deploy/siyu.env', 'config/bot.yaml', 'secrets.env']) {
      expect(ignore.ignores(kept), kept).toBe(true)
    }
  })

  it('runs as a non-root user; the data dir it gives the bot is a VOLUME that user owns', () => {
    const users = all('USER')
    expect(users.length).toBeGreaterThan(0)
    const user = args(users.at(-1)!)[0]!
    expect(['root', '0']).not.toContain(user.split(':')[0])
    // USER comes before CMD takes effect (last USER wins) and after the RUN that chowns the data dir
    const data = cmd[cmd.indexOf('--data') + 1]!
    const volumes = all('VOLUME').flatMap((v) => {
      const c = v.getArgumentsContent() ?? ''
      return c.trim().startsWith('[') ? execForm(c) : c.split(/\s+/)
    })
    expect(volumes).toContain(data)
    expect(all('RUN').some((r) => (r.getArgumentsContent() ?? '').includes(`chown ${user}:${user} ${data}`))).toBe(true)
  })

  it('the HEALTHCHECK runs deploy/healthcheck.mjs, which asks /healthz on 127.0.0.1:7350 by default', () => {
    const hc = df.getHEALTHCHECKs().at(-1)!
    const content = hc.getArgumentsContent() ?? ''
    const command = execForm(content.slice(content.indexOf('CMD') + 3).trim())
    expect(command).toEqual(['node', 'deploy/healthcheck.mjs'])
    expect(copies.some((c) => c.sources.includes('deploy/healthcheck.mjs'))).toBe(true)
    expect(readFileSync(join(REPO, 'deploy/healthcheck.mjs'), 'utf8')).toContain("'http://127.0.0.1:7350/healthz'")
    // its start period leaves the bot time to log in before a failing check counts
    expect(hc.getFlags().find((f) => f.getName() === 'start-period')?.getValue()).toMatch(/^\d+s$/)
  })

  describe('deploy/healthcheck.mjs against a /healthz', () => {
    let server: Server | undefined
    let status = 200
    afterAll(async () => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())))

    const check = (url: string) =>
      new Promise<{ code: number; out: string }>((resolve) =>
        execFile(process.execPath, [join(REPO, 'deploy/healthcheck.mjs')], { env: { PATH: process.env.PATH, SIYU_HEALTHZ_URL: url } }, (err, stdout, stderr) =>
          resolve({ code: err ? Number(err.code ?? 1) : 0, out: stdout + stderr }),
        ),
      )

    it('healthy on 200, unhealthy on 503 and when nothing listens', async () => {
      const port = await freePort()
      server = createServer((req, res) => {
        res.writeHead(req.url === '/healthz' ? status : 404, { 'content-type': 'application/json' })
        res.end(JSON.stringify({ loggedIn: status === 200 }))
      })
      await new Promise<void>((resolve) => server!.listen(port, '127.0.0.1', resolve))
      const url = `http://127.0.0.1:${port}/healthz`
      expect(await check(url)).toMatchObject({ code: 0 })
      status = 503
      const down = await check(url)
      expect(down.code).toBe(1)
      expect(down.out).toContain('503')
      await new Promise<void>((resolve) => server!.close(() => resolve()))
      server = undefined
      const gone = await check(url)
      expect(gone.code).toBe(1)
      expect(gone.out).toContain('unreachable')
    })
  })

  it('its CMD, run in a copy of what the COPY lines put in the image, starts the bot; SIGTERM stops it with exit 0', async () => {
    // the image's WORKDIR, built from the COPY lines (honouring .dockerignore)
    const root = await scratch('siyu-image-')
    const app = join(root, workdir)
    await mkdir(app, { recursive: true })
    // the build stage's /app is this checkout after `npm ci` (dist/ built): its node_modules
    // is linked below instead of copied
    for (const { sources, target, from } of copies) {
      for (const stageSource of sources) {
        const source = from === 'build' ? posix.relative(workdir, stageSource) : stageSource
        if (source === 'node_modules') continue
        const to = target.endsWith('/') ? join(app, target, posix.basename(source)) : join(app, target)
        await mkdir(join(to, '..'), { recursive: true })
        if (statSync(join(REPO, source)).isDirectory()) {
          // (.dockerignore limits the build context, not what the build stage made)
          await cp(join(REPO, source), to, { recursive: true, filter: (f) => from === 'build' || !ignore.ignores(relative(REPO, f) || '.') })
        } else {
          await copyFile(join(REPO, source), to)
        }
      }
    }
    // what `npm ci` + `npm prune --omit=dev` leave in the build stage (the repo's: no network here)
    await symlink(join(REPO, 'node_modules'), join(app, 'node_modules'), 'dir')
    // what the operator mounts at /app/config: here the example
    const config = cmd[cmd.indexOf('--config') + 1]!
    expect(existsSync(join(app, config)), 'the image does not ship an operator config').toBe(false)
    await copyFile(join(REPO, 'config/bot.example.yaml'), join(app, config))

    const data = await scratch('siyu-image-data-')
    const command = cmd.slice(1).map((a) => (a === cmd[cmd.indexOf('--data') + 1] ? data : a))
    // the knowledge is read in the background: seen (or the wait fails) before the bot is stopped
    const { code, bot } = await runAndStop(command, app, data, { match: (l) => l.msg === 'knowledge loaded', what: 'config/knowledge is in the image' })
    expect(code).toBe(0)
    expect(bot.logs.find((l) => l.msg === 'knowledge loaded'), 'config/knowledge is in the image').toBeDefined()
  }, 90_000)
})
