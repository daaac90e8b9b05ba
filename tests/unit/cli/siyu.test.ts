import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { COMMANDS } from '../../../src/cli/commands.js'

/**
 * The `siyu` command as an operator types it: the compiled bin (package.json `bin`, what
 * `npx siyu` runs; tests/globalSetup.ts keeps dist/ current), one process per call.
 */
const REPO = process.cwd()
const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { bin: Record<string, string>; scripts: Record<string, string> }
const BIN = join(REPO, pkg.bin.siyu!)

function siyu(args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) =>
    execFile(process.execPath, [BIN, ...args], { cwd: REPO, env: { PATH: process.env.PATH, HOME: process.env.HOME } }, (error, stdout, stderr) =>
      resolve({ code: error ? Number(error.code ?? 1) : 0, out: stdout, err: stderr }),
    ),
  )
}

const NAMES = ['start', 'check', 'backup', 'restore', 'migrate', 'init']

describe('the siyu command', () => {
  it('siyu --help lists every subcommand with what it does (exit 0); siyu alone prints it as an error (exit 2)', async () => {
    expect(COMMANDS.map((c) => c.name)).toEqual(NAMES)
    const help = await siyu(['--help'])
    expect(help.code).toBe(0)
    for (const c of COMMANDS) expect(help.out).toMatch(new RegExp(`^  ${c.name} +${c.summary.replace(/[()]/g, '\\$&')}$`, 'm'))
    const bare = await siyu([])
    expect(bare.code).toBe(2)
    expect(bare.err).toContain('usage: siyu <command>')
    expect((await siyu(['--version'])).out.trim()).toMatch(/^\d+\.\d+\.\d+/)
  })

  it.each(NAMES)('siyu %s --help (and siyu help <it>) prints its usage, flags and exit codes', async (name) => {
    const r = await siyu([name, '--help'])
    expect(r.code).toBe(0)
    expect(r.out).toMatch(new RegExp(`^usage: siyu ${name}\\b`))
    expect(r.out).toContain('Exit codes:')
    expect((await siyu(['help', name])).out).toBe(r.out)
  })

  // each command keeps the exit code it always had for bad usage: start 2 (as a bad config), check 1 (0 or 1 only)
  it.each([
    ['start', 2],
    ['check', 1],
    ['backup', 1],
    ['restore', 1],
    ['migrate', 2],
    ['init', 2],
  ])('siyu %s with an unknown flag: a one-line error naming it, exit %i', async (name, code) => {
    const r = await siyu([name, '--cofig', 'x.yaml'])
    expect(r.code).toBe(code)
    expect(r.err).toContain(`siyu ${name}: unknown flag --cofig (siyu ${name} --help)`)
    expect(r.err).not.toMatch(/\n\s+at /) // no stack trace
  })

  it('an unknown subcommand or a flag in its place: exit 2 and the list of commands', async () => {
    for (const word of ['strat', '--frob']) {
      const r = await siyu([word])
      expect(r.code).toBe(2)
      expect(r.err).toContain(`the commands are ${NAMES.join(', ')}`)
    }
  })

  it('a flag that needs a value and has none, or a stray argument, is said as such', async () => {
    expect((await siyu(['start', '--config'])).err).toContain('siyu start: --config needs a value')
    expect((await siyu(['check', 'bot.yaml'])).err).toContain('siyu check: unexpected argument "bot.yaml"')
  })

  it('the npm scripts call the compiled command with the same flags', () => {
    for (const name of ['start', 'check', 'backup', 'restore', 'migrate']) expect(pkg.scripts[name]).toBe(`node ${pkg.bin.siyu} ${name}`)
  })
})
