/**
 * `siyu init [dir]`: a bot from a few answers — the brand, the groups, the admins' contact ids,
 * the skills, the time zone — asked on a terminal (node:readline) or given as flags (`--yes`
 * asks nothing). Writes a commented config/bot.yaml that passes `siyu check`, .env.example, and
 * with --deploy a systemd unit, a Dockerfile and compose.yaml. Nothing that exists is
 * overwritten without --force, and nothing at all is written when one file would be.
 * Exit codes: 0 written, 1 a file exists (named) or cannot be written, 2 a bad flag or answer.
 */
import { existsSync, readFileSync } from 'node:fs'
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { createInterface, type Interface } from 'node:readline'
import { parseArgs } from 'node:util'
import { SKILLS } from '../../skills/index.js'
import { parseConfig } from '../config/loadConfig.js'
import { ConfigError, formatProblem } from '../config/problems.js'
import { adminsOf, AnswerError, checkBrand, checkTimezone, defaultGroup, DEFAULT_SKILLS, DEFAULT_TIMEZONE, groupsOf, skillsOf, type InitAnswers } from './initAnswers.js'
import { composeYaml, configYaml, dockerfile, dockerignore, envExample, systemdUnit } from './initFiles.js'
import { packageFile, packageRoot } from './packageRoot.js'
import { usageError } from './usage.js'

export interface InitIo {
  input: NodeJS.ReadableStream & { isTTY?: boolean }
  output: NodeJS.WritableStream
  err: (line: string) => void
}

const processIo = (): InitIo => ({ input: process.stdin, output: process.stdout, err: (l) => process.stderr.write(`${l}\n`) })

export async function runInit(argv: string[], io: InitIo = processIo()): Promise<number> {
  let values
  let positionals
  try {
    ;({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        yes: { type: 'boolean', short: 'y' },
        brand: { type: 'string' },
        group: { type: 'string', multiple: true },
        admin: { type: 'string', multiple: true },
        skills: { type: 'string' },
        timezone: { type: 'string' },
        deploy: { type: 'boolean' },
        force: { type: 'boolean' },
      },
    }))
  } catch (err) {
    io.err(usageError('init', err))
    return 2
  }
  if (positionals.length > 1) {
    io.err(`siyu init: one folder at most; got ${positionals.map((p) => `"${p}"`).join(', ')} (siyu init --help)`)
    return 2
  }
  const dir = resolve(positionals[0] ?? '.')

  // the flags first: a bad one is an error however the rest is answered
  let answers: InitAnswers
  try {
    const given = {
      brand: values.brand === undefined ? undefined : checkBrand(values.brand),
      groups: values.group === undefined ? undefined : groupsOf(values.group),
      admins: values.admin === undefined ? undefined : adminsOf(values.admin),
      skills: values.skills === undefined ? undefined : skillsOf(values.skills, SKILLS),
      timezone: values.timezone === undefined ? undefined : checkTimezone(values.timezone),
    }
    if (values.yes) {
      if (!given.brand) throw new AnswerError('--brand <name> is needed with --yes (the brand names the bot and the shared point pool)')
      answers = {
        brand: given.brand,
        groups: given.groups ?? groupsOf([defaultGroup(given.brand)]),
        admins: given.admins ?? [],
        skills: given.skills ?? DEFAULT_SKILLS,
        timezone: given.timezone ?? DEFAULT_TIMEZONE,
        deploy: values.deploy === true,
      }
    } else {
      const asked = await ask(io, given, values.deploy === true)
      if (asked === 'aborted') {
        io.err('siyu init: stopped; nothing was written')
        return 130
      }
      answers = asked
    }
  } catch (err) {
    if (!(err instanceof AnswerError)) throw err
    io.err(`siyu init: ${err.message}`)
    return 2
  }
  if (answers.admins.length === 0) io.err('siyu init: no admins yet — nobody can run #commands until bot.admins holds a contact id')

  const files = render(dir, answers)
  // the config is checked as `siyu check` will check it, before anything is written
  try {
    parseConfig(join(dir, 'config', 'bot.yaml'), files.find((f) => f.path === join('config', 'bot.yaml'))!.text, SKILLS)
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err
    for (const p of err.problems) io.err(formatProblem(p))
    io.err('siyu init: these answers make a config siyu check refuses; nothing was written')
    return 2
  }
  if (!values.force) {
    const there = files.filter((f) => existsSync(join(dir, f.path)))
    if (there.length > 0) {
      io.err(`siyu init: ${there.map((f) => join(dir, f.path)).join(', ')} ${there.length > 1 ? 'exist' : 'exists'} already; nothing was written (--force overwrites)`)
      return 1
    }
  }
  for (const f of files) {
    const path = join(dir, f.path)
    try {
      await mkdir(dirname(path), { recursive: true })
      // 'wx': a file that appeared since the check above is still not overwritten
      await writeFile(path, f.text, { flag: values.force ? 'w' : 'wx' })
    } catch (err) {
      io.err(`siyu init: cannot write ${path}: ${(err as Error).message}`)
      return 1
    }
  }
  const siyu = commandFor(dir)
  const out = (l: string) => io.output.write(`${l}\n`)
  out(`写好了 / written in ${dir}:`)
  for (const f of files) out(`  ${f.path}`)
  out('下一步 / next:')
  if (!hasSiyuDependency(dir)) out('  npm install siyu          # this folder runs siyu from its node_modules (the deploy files expect it)')
  out(`  ${siyu} check`)
  out(`  ${siyu} start             # no token: the sandbox, a simulated WeChat in this terminal`)
  out(`  cp .env.example .env      # to go live: the puppet token (${answers.deploy ? 'deploy/ and compose.yaml read it' : 'siyu init --deploy writes systemd/Docker files'})`)
  return 0
}

interface OutFile {
  /** Relative to the folder, with the platform's separators. */
  path: string
  text: string
}

function render(dir: string, a: InitAnswers): OutFile[] {
  const configDir = join(dir, 'config')
  let schemaPath = relative(configDir, packageFile('config/siyu.schema.json')).split(sep).join('/')
  if (!schemaPath.startsWith('.')) schemaPath = `./${schemaPath}`
  const files: OutFile[] = [
    { path: join('config', 'bot.yaml'), text: configYaml({ answers: a, schemaPath, siyu: commandFor(dir) }) },
    { path: '.env.example', text: envExample(a) },
  ]
  if (a.deploy) {
    files.push(
      { path: join('deploy', 'siyu.service'), text: systemdUnit(readFileSync(packageFile('deploy/siyu.service'), 'utf8'), a) },
      { path: join('deploy', 'Dockerfile'), text: dockerfile(a) },
      { path: '.dockerignore', text: dockerignore() },
      { path: 'compose.yaml', text: composeYaml(a) },
    )
  }
  return files
}

/** How to run siyu there: `npm run siyu --` in siyu's own clone, else `npx siyu`. */
function commandFor(dir: string): string {
  return resolve(dir) === packageRoot() ? 'npm run siyu --' : 'npx siyu'
}

function hasSiyuDependency(dir: string): boolean {
  try {
    const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; dependencies?: Record<string, string> }
    return pkg.name === 'siyu' || Object.hasOwn(pkg.dependencies ?? {}, 'siyu')
  } catch {
    return false
  }
}

/** Lines typed at a prompt; undefined once the input ends (the rest takes its defaults). */
class Prompter {
  private readonly rl: Interface
  private readonly lines: string[] = []
  private waiting: ((line: string | undefined | 'aborted') => void) | undefined
  private ended = false
  aborted = false

  constructor(private readonly io: InitIo) {
    this.rl = createInterface({ input: io.input, output: io.output, terminal: io.input.isTTY === true })
    this.rl.on('line', (line) => {
      if (this.waiting) {
        const w = this.waiting
        this.waiting = undefined
        w(line)
      } else this.lines.push(line)
    })
    this.rl.on('close', () => {
      this.ended = true
      this.waiting?.(undefined)
    })
    // Ctrl+C on a terminal: stop, write nothing
    this.rl.on('SIGINT', () => {
      this.aborted = true
      this.waiting?.('aborted')
      this.rl.close()
    })
  }

  ask(prompt: string): Promise<string | undefined | 'aborted'> {
    if (this.aborted) return Promise.resolve('aborted')
    // once the input has ended readline is closed (Node 24 throws on prompt() then): the
    // question is still written, and the lines read before the end still answer it
    if (this.ended) this.io.output.write(prompt)
    else {
      this.rl.setPrompt(prompt)
      this.rl.prompt()
    }
    if (this.lines.length > 0) return Promise.resolve(this.lines.shift())
    if (this.ended) return Promise.resolve(undefined)
    return new Promise((resolve) => (this.waiting = resolve))
  }

  close(): void {
    this.rl.close()
  }
}

type Given = Partial<Omit<InitAnswers, 'deploy'>>

async function ask(io: InitIo, given: Given, deploy: boolean): Promise<InitAnswers | 'aborted'> {
  const p = new Prompter(io)
  const say = (l: string) => io.output.write(`${l}\n`)
  // ask until the answer is good; at the end of the input, the default (or the error, if none)
  const until = async <T>(prompt: string, check: (line: string | undefined) => T): Promise<T | 'aborted'> => {
    for (;;) {
      const line = await p.ask(prompt)
      if (line === 'aborted') return 'aborted'
      try {
        return check(line?.trim() || undefined)
      } catch (err) {
        if (!(err instanceof AnswerError) || line === undefined) throw err
        say(`  ✗ ${err.message}`)
      }
    }
  }
  try {
    say('siyu init — 回车用方括号里的默认值 / Enter takes the default in brackets')
    const brand =
      given.brand ??
(await until('品牌名 / Brand name: ', (l) => checkBrand(l ?? '')))
    if (brand === 'aborted') return 'aborted'

    let groups = given.groups
    if (!groups) {
      say(`分组 / Groups: one per line as name=room-topic pattern — a glob (${brand}粉丝*) or /regex/; an empty line ends`)
      const specs: string[] = []
      for (;;) {
        const spec = await until(`  group ${specs.length + 1}${specs.length === 0 ? ` [${defaultGroup(brand)}]` : ''}: `, (l) => {
          if (l !== undefined) groupsOf([...specs, l])
          return l
        })
        if (spec === 'aborted') return 'aborted'
        if (spec === undefined) break
        specs.push(spec)
      }
      groups = groupsOf(specs.length > 0 ? specs : [defaultGroup(brand)])
    }

    const admins =
      given.admins ??
      (await until('管理员 / Admins — contact ids (wxid_…), never names; spaces between, empty for none: ', (l) => adminsOf(l === undefined ? [] : [l], true)))
    if (admins === 'aborted') return 'aborted'

    let skills = given.skills
    if (!skills) {
      say('技能 / Skills:')
      for (const s of SKILLS) say(`  ${s.name.padEnd(10)} ${s.description}`)
      const chosen = await until(`which, comma-separated [${DEFAULT_SKILLS.join(',')}]: `, (l) => skillsOf(l ?? DEFAULT_SKILLS.join(','), SKILLS))
      if (chosen === 'aborted') return 'aborted'
      skills = chosen
    }

    const timezone = given.timezone ?? (await until(`时区 / Time zone [${DEFAULT_TIMEZONE}]: `, (l) => checkTimezone(l ?? DEFAULT_TIMEZONE)))
    if (timezone === 'aborted') return 'aborted'

    let withDeploy = deploy
    if (!deploy) {
      const yes = await until('部署文件 / Also write deploy files (systemd unit, Dockerfile, compose.yaml with PostgreSQL)? [y/N]: ', (l) => {
        if (l === undefined || /^(n|no|否)$/i.test(l)) return false
        if (/^(y|yes|是)$/i.test(l)) return true
        throw new AnswerError('y or n')
      })
      if (yes === 'aborted') return 'aborted'
      withDeploy = yes
    }
    return { brand, groups, admins, skills, timezone, deploy: withDeploy }
  } finally {
    p.close()
  }
}
