import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { readdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { afterAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { SKILLS } from '../../../skills/index.js'
import { runInit, type InitIo } from '../../../src/cli/init.js'
import { runCheck } from '../../../src/cli/runCheck.js'
import { tempDir } from '../../helpers/tmp.js'

const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const c of cleanups) await c()
})
async function scratch(): Promise<string> {
  const { dir, cleanup } = await tempDir('siyu-init-')
  cleanups.push(cleanup)
  return dir
}

/** runInit with typed lines as its terminal (or none), collecting what it prints. */
async function init(argv: string[], typed?: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const input = new PassThrough()
  const output = new PassThrough()
  let out = ''
  output.on('data', (d: Buffer) => (out += d.toString()))
  const err: string[] = []
  const io: InitIo = { input, output, err: (l) => err.push(l) }
  if (typed) input.end(typed.map((l) => `${l}\n`).join(''))
  else input.end()
  const code = await runInit(argv, io)
  return { code, out, err }
}

/** `siyu check` on the written config, as the operator runs it next. */
async function check(file: string): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const code = await runCheck(['--config', file], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) })
  return { code, out, err }
}

const ALL = SKILLS.map((s) => s.name).join(',')

describe('siyu init', () => {
  it('--yes with flags: a commented config that siyu check accepts (every skill), .env.example with names only, deploy files', async () => {
    const dir = await scratch()
    const r = await init([dir, '--yes', '--brand', '希思黎', '--group', 'fans=希思黎粉丝*', '--group', 'vip=/^VIP\\d+群$/', '--group', 'fans=希思黎新粉*', '--admin', 'wxid_boss', '--admin', 'sisley_ops', '--skills', ALL, '--timezone', 'Asia/Hong_Kong', '--deploy'])
    expect(r).toMatchObject({ code: 0 })
    expect(r.out).toContain('npx siyu check')
    const yaml = await readFile(join(dir, 'config/bot.yaml'), 'utf8')
    const c = await check(join(dir, 'config/bot.yaml'))
    expect(c.err).toBe('')
    expect(c).toMatchObject({ code: 0 })
    expect(c.out).toContain('2 group(s), time zone Asia/Hong_Kong, 2 admin(s)')
    expect(c.out).toMatch(`group fans: ${SKILLS.map((s) => s.name).join(', ')}`)
    // what was answered is what is written (the same name twice: one group, two patterns)
    const cfg = parse(yaml) as { bot: { admins: string[]; name: string }; groups: Array<{ name: string; match: { topic: string | string[] } }> }
    expect(cfg.bot.admins).toEqual(['wxid_boss', 'sisley_ops'])
    expect(cfg.groups).toEqual([
      { name: 'fans', match: { topic: ['希思黎粉丝*', '希思黎新粉*'] } },
      { name: 'vip', match: { topic: '/^VIP\\d+群$/' } },
    ])
    // commented in both languages, and pointing editors at the schema
    expect(yaml.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=.*config\/siyu\.schema\.json$/)
    expect(yaml).toMatch(/timezone: Asia\/Hong_Kong # 配置和回复里的所有时间 \/ every time/)
    expect(yaml).toMatch(/checkin: # 每日签到积分.* \/ daily check-in points/)
    // names, never values
    const env = await readFile(join(dir, '.env.example'), 'utf8')
    const assignments = env.split('\n').filter((l) => /^[A-Z_]+=/.test(l))
    expect(assignments).toEqual(['WECHATY_PUPPET_SERVICE_TOKEN=', 'OPENAI_API_KEY=', 'SIYU_CONSOLE_TOKEN=', 'POSTGRES_PASSWORD='])
    expect((await readdir(dir)).sort()).toEqual(['.dockerignore', '.env.example', 'compose.yaml', 'config', 'deploy'])
    expect((await readdir(join(dir, 'deploy'))).sort()).toEqual(['Dockerfile', 'siyu.service'])
  })

  it('the deploy files: the unit is the tested one pointed into node_modules; compose runs the bot on PostgreSQL', async () => {
    const dir = await scratch()
    expect((await init([dir, '--yes', '--brand', 'Sisley', '--deploy'])).code).toBe(0)
    const unit = await readFile(join(dir, 'deploy/siyu.service'), 'utf8')
    const shipped = await readFile('deploy/siyu.service', 'utf8')
    const settings = (text: string) => text.split('\n').filter((l) => /^[A-Za-z]+=/.test(l) && !l.startsWith('ExecStart=') && !l.startsWith('Documentation='))
    expect(settings(unit)).toEqual(settings(shipped))
    expect(unit).toMatch(/^ExecStart=node node_modules\/siyu\/dist\/src\/cli\/siyu\.js start --config \/opt\/siyu\/config\/bot\.yaml --data \/var\/lib\/siyu\/data$/m)
    if (existsSync('/usr/bin/systemd-analyze')) {
      const verify = await new Promise<string>((resolve) => execFile('systemd-analyze', ['verify', join(dir, 'deploy/siyu.service')], (_e, so, se) => resolve(so + se)))
      expect(verify).toBe('')
    }
    const compose = parse(await readFile(join(dir, 'compose.yaml'), 'utf8')) as { services: Record<string, { environment: Record<string, string>; depends_on?: unknown; image?: string }> }
    expect(compose.services.siyu!.environment.SIYU_STORE).toMatch(/^postgres:\/\/siyu:\$\{POSTGRES_PASSWORD:\?.*\}@db:5432\/siyu$/)
    expect(compose.services.siyu!.depends_on).toEqual({ db: { condition: 'service_healthy' } })
    expect(compose.services.db!.image).toMatch(/^postgres:\d+/)
    const docker = await readFile(join(dir, 'deploy/Dockerfile'), 'utf8')
    expect(docker).toContain('CMD ["node", "node_modules/siyu/dist/src/cli/siyu.js", "start", "--config", "config/bot.yaml", "--data", "/data"]')
    expect(docker).toMatch(/^FROM node:22-slim$/m)
  })

  it('refuses to overwrite: exit 1 naming the files, nothing written; --force overwrites', async () => {
    const dir = await scratch()
    expect((await init([dir, '--yes', '--brand', 'A'])).code).toBe(0)
    await writeFile(join(dir, 'config/bot.yaml'), '# mine\n')
    const again = await init([dir, '--yes', '--brand', 'B', '--deploy'])
    expect(again.code).toBe(1)
    expect(again.err.join('\n')).toContain(`${join(dir, 'config/bot.yaml')}, ${join(dir, '.env.example')} exist already; nothing was written (--force overwrites)`)
    expect(await readFile(join(dir, 'config/bot.yaml'), 'utf8')).toBe('# mine\n')
    expect(existsSync(join(dir, 'compose.yaml')), 'not even the files that were not there').toBe(false)
    expect((await init([dir, '--yes', '--brand', 'B', '--force'])).code).toBe(0)
    expect(await readFile(join(dir, 'config/bot.yaml'), 'utf8')).toContain('name: B小助手')
  })

  it.each([
    [['--admin', '张三'], /"张三" has spaces, Chinese or other characters no contact id has: it looks like a display name/],
    [['--admin', 'Alice Wang'], /"Alice Wang" .* display name/],
    [['--admin', 'bob'], /"bob" is not shaped like a contact id.*wxid_/],
    [['--group', 'fans'], /"fans" is not name=pattern/],
    [['--group', '=粉丝*'], /has no group name/],
    [['--group', 'fans='], /group "fans" has no room-topic pattern/],
    [['--group', 'fans=/粉丝(\\d+群/'], /group "fans": invalid topic regex/],
    [['--group', 'fans=/粉丝'], /starts like a \/regex\/ but does not end with "\/"/],
    [['--group', 'fans=/(a)\\1/'], /group "fans": invalid topic regex/], // a backreference: RE2 cannot run it
    [['--skills', 'checkin,lottery'], new RegExp(`unknown skill lottery; the skills are ${SKILLS.map((k) => k.name).join(', ')}$`)],
    [['--skills', ','], /name at least one skill/],
    [['--timezone', 'Mars/Olympus'], /unknown time zone "Mars\/Olympus"/],
  ])('a bad answer %j: exit 2, what is wrong and what is expected, nothing written', async (flags, message) => {
    const dir = await scratch()
    const r = await init([dir, '--yes', '--brand', '希思黎', ...flags])
    expect(r.code).toBe(2)
    expect(r.err.join('\n')).toMatch(message)
    expect(await readdir(dir)).toEqual([])
  })

  it('--yes needs the brand; an unknown flag or two folders are usage errors (exit 2)', async () => {
    const dir = await scratch()
    expect(await init([dir, '--yes'])).toMatchObject({ code: 2, err: [expect.stringContaining('--brand <name> is needed with --yes')] })
    expect(await init([dir, '--yes', '--brand', 'x', '--admins', 'wxid_a'])).toMatchObject({ code: 2, err: ['siyu init: unknown flag --admins (siyu init --help)'] })
    expect((await init([dir, join(dir, 'b'), '--yes', '--brand', 'x'])).code).toBe(2)
    expect(await readdir(dir)).toEqual([])
  })

  it('asks on a terminal: a bad answer is said and asked again; Enter takes the defaults', async () => {
    const dir = await scratch()
    const r = await init(
      [dir],
      [
        '', // no brand: asked again
        '兰蔻: VIP', // a colon and a space: quoted in the YAML
        'vip=*兰蔻VIP*', // a glob starting with *: quoted
        'oops', // not name=pattern: asked again
        'fans=/^兰蔻粉丝\\d+群$/i',
        '', // no more groups
        '小王 wxid_boss', // a display name among the ids: asked again
        'wxid_boss, wxid_ops',
        'checkin,live', // skills
        '', // the default time zone
        'y', // deploy files
      ],
    )
    expect(r.err).toEqual([])
    expect(r.code).toBe(0)
    expect(r.out).toContain('✗ the brand needs a name')
    expect(r.out).toContain('✗ "oops" is not name=pattern')
    expect(r.out).toContain('✗ "小王" has spaces, Chinese or other characters')
    const cfg = parse(await readFile(join(dir, 'config/bot.yaml'), 'utf8')) as Record<string, any>
    expect(cfg.bot).toMatchObject({ name: '兰蔻: VIP小助手', admins: ['wxid_boss', 'wxid_ops'], timezone: 'Asia/Shanghai' })
    // in the registry's order (skills/index.ts), the order they see messages in
    expect(Object.keys(cfg.defaults.skills)).toEqual(inRegistryOrder(['checkin', 'live']))
    expect(cfg.defaults.skills.checkin.pool).toBe('兰蔻: VIP')
    expect(cfg.groups).toEqual([
      { name: 'vip', match: { topic: '*兰蔻VIP*' } },
      { name: 'fans', match: { topic: '/^兰蔻粉丝\\d+群$/i' } },
    ])
    expect(existsSync(join(dir, 'compose.yaml'))).toBe(true)
    expect((await check(join(dir, 'config/bot.yaml'))).code).toBe(0)
  })

  it('asks only what the flags leave open; at the end of the input the rest takes its defaults', async () => {
    const dir = await scratch()
    const r = await init([dir, '--admin', 'wxid_boss'], ['希思黎'])
    expect(r.code).toBe(0)
    expect(r.out).not.toContain('管理员 / Admins')
    const cfg = parse(await readFile(join(dir, 'config/bot.yaml'), 'utf8')) as Record<string, any>
    expect(cfg.groups).toEqual([{ name: 'fans', match: { topic: '希思黎*' } }])
    expect(Object.keys(cfg.defaults.skills)).toEqual(inRegistryOrder(['welcome', 'checkin', 'points', 'live', 'autoreply']))
    expect(existsSync(join(dir, 'compose.yaml'))).toBe(false)
    // and no brand at all, input over: an error, nothing written
    const empty = await scratch()
    expect(await init([empty], [])).toMatchObject({ code: 2, err: [expect.stringContaining('the brand needs a name')] })
    expect(await readdir(empty)).toEqual([])
  })
})

function inRegistryOrder(names: readonly string[]): string[] {
  return SKILLS.map((k) => k.name).filter((n) => names.includes(n))
}
