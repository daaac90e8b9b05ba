import { execFile } from 'node:child_process'
import { readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runCheck } from '../../src/cli/runCheck.js'
import { tempDir } from '../helpers/tmp.js'

/** A small seeded PRNG, so a failing mutation can be replayed from its seed. */
function mulberry32(seed: number): () => number {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

type Mutation = (lines: string[], rnd: () => number) => string

const pick = <T>(xs: readonly T[], rnd: () => number): T => xs[Math.floor(rnd() * xs.length)]!
const at = (lines: string[], rnd: () => number) => Math.floor(rnd() * lines.length)
const valueLine = (lines: string[], rnd: () => number): number => {
  const candidates = lines.map((l, i) => (/^\s*[\w$-]+:\s+\S/.test(l) && !l.trim().startsWith('#') ? i : -1)).filter((i) => i >= 0)
  return candidates.length ? pick(candidates, rnd) : at(lines, rnd)
}
const replaceValue = (replacement: string): Mutation => (lines, rnd) => {
  const i = valueLine(lines, rnd)
  lines[i] = lines[i]!.replace(/:\s+.*$/, `: ${replacement}`)
  return lines.join('\n')
}

/**
 * IME slips: what a Chinese input method types where YAML wants ASCII. Each one is aimed at a
 * line where it breaks the syntax (a key, an indent, a list, a quoted value) and returns that
 * line (1-based), so the test can ask that the slip is named there.
 */
type ImeSlip = (lines: string[], rnd: () => number) => { text: string; line: number } | undefined

const code = (l: string): string => l.split(/\s#/)[0]! // the part before a trailing comment
const lineOf = (lines: string[], rnd: () => number, ok: (l: string) => boolean): number | undefined => {
  const candidates = lines.map((l, i) => (!l.trim().startsWith('#') && ok(l) ? i : -1)).filter((i) => i >= 0)
  return candidates.length ? pick(candidates, rnd) : undefined
}
const KEY_LINE = /^(\s*(?:-\s+)?)([\w$-]+):(\s|$)/
const done = (lines: string[], i: number) => ({ text: lines.join('\n'), line: i + 1 })

const IME_SLIPS: Record<string, ImeSlip> = {
  fullWidthColon: (l, r) => {
    const i = lineOf(l, r, (x) => KEY_LINE.test(x))
    if (i === undefined) return undefined
    l[i] = l[i]!.replace(KEY_LINE, (_m, pre: string, key: string, after: string) => `${pre}${key}：${r() < 0.5 ? after : ''}`)
    return done(l, i)
  },
  fullWidthComma: (l, r) => {
    const list = /\[([^\]"'#]*?), ([^\]"'#]*?)\]/
    const i = lineOf(l, r, (x) => list.test(code(x)))
    if (i === undefined) return undefined
    l[i] = l[i]!.replace(list, (_m, a: string, b: string) => `[${a}${pick(['，', '、'], r)}${b}]`)
    return done(l, i)
  },
  fullWidthIndent: (l, r) => {
    const i = lineOf(l, r, (x) => /^ {2,}/.test(x) && KEY_LINE.test(x))
    if (i === undefined) return undefined
    l[i] = l[i]!.replace(/^ +/, (sp) => '\u3000'.repeat(Math.max(1, Math.floor(sp.length / (r() < 0.5 ? 1 : 2)))))
    return done(l, i)
  },
  curlyQuotes: (l, r) => {
    const quoted = /: "([^"\\]*)"/
    const i = lineOf(l, r, (x) => quoted.test(code(x)) && !/: | #/.test(quoted.exec(code(x))![1]!))
    if (i === undefined) return undefined
    l[i] = l[i]!.replace(quoted, (_m, t: string) => `: “${t}”`)
    return done(l, i)
  },
  fullWidthBracket: (l, r) => {
    // a YAML list: not brackets inside a quoted value (a regex's character class, "1[3-9]\\d{9}")
    const list = /(?<=^[^"']*)\[([^\]"'#]*)\]/
    const i = lineOf(l, r, (x) => list.test(code(x)))
    if (i === undefined) return undefined
    // 【积分榜】 alone reads as a title (【双11】 is one), so 【…】 only around a list of several
    const several = list.exec(code(l[i]!))![1]!.includes(',')
    const [open, close] = pick([['[', '】'], ['[', '］'], ['［', '］'], ...(several ? [['【', '】']] : [])] as const, r)
    l[i] = l[i]!.replace(list, (_m, t: string) => `${open}${t}${close}`)
    return done(l, i)
  },
}

const MUTATIONS: Record<string, Mutation> = {
  deleteLine: (l, r) => (l.splice(at(l, r), 1), l.join('\n')),
  duplicateLine: (l, r) => {
    const i = at(l, r)
    l.splice(i, 0, l[i]!)
    return l.join('\n')
  },
  swapLines: (l, r) => {
    const i = at(l, r)
    const j = at(l, r)
    ;[l[i], l[j]] = [l[j]!, l[i]!]
    return l.join('\n')
  },
  wrongTypeNumber: replaceValue('12345'),
  wrongTypeList: replaceValue('[1, [2], {a: b}]'),
  wrongTypeMap: replaceValue('{ nested: { deeper: true } }'),
  wrongTypeBool: replaceValue('yes'),
  nullValue: replaceValue('~'),
  badRegex: replaceValue('"/(unclosed[/"'),
  unknownTemplateVar: replaceValue('"hello {definitelyNotAVariable} {name}"'),
  unknownKey: (l, r) => {
    const i = valueLine(l, r)
    const indent = /^\s*/.exec(l[i]!)![0]
    l.splice(i, 0, `${indent}tpyo_key: 1`)
    return l.join('\n')
  },
  garbage: (l, r) => {
    const i = at(l, r)
    const junk = pick([': [', '{ "', '- - -', '\t\tkey: value', '&anchor *alias', '!!binary', '%YAML 9.9', '? complex', '|||'], r)
    l[i] = l[i]!.slice(0, Math.floor(r() * l[i]!.length)) + junk
    return l.join('\n')
  },
  truncate: (l, r) => l.join('\n').slice(0, Math.floor(r() * l.join('\n').length)),
  reindent: (l, r) => {
    const i = at(l, r)
    l[i] = ' '.repeat(1 + Math.floor(r() * 5)) + l[i]!
    return l.join('\n')
  },
  controlChars: (l, r) => {
    const i = at(l, r)
    l[i] = l[i]! + '\u0000\u0007\u001b[31m'
    return l.join('\n')
  },
  badTime: replaceValue('"2026-13-45 25:61"'),
  badDuration: replaceValue('[1x, soon, -5m]'),
  // IME slips mixed in with the rest: they must never crash anything either
  ...Object.fromEntries(Object.entries(IME_SLIPS).map(([name, slip]) => [name, (l: string[], r: () => number) => slip(l, r)?.text ?? l.join('\n')])),
  imeAnywhere: (l, r) => {
    const i = at(l, r)
    const pos = Math.floor(r() * (l[i]!.length + 1))
    l[i] = l[i]!.slice(0, pos) + pick(['：', '，', '、', '\u3000', '【', '】', '［', '］', '｛', '｝', '（', '）', '“', '”', '‘', '’'], r) + l[i]!.slice(pos)
    return l.join('\n')
  },
}

/** Words every slip message starts with. */
const SLIP_NAMED = /(全角冒号|全角逗号|顿号|全角空格|中文引号|全角括号|全角方括号|全角大括号)/

const NASTY: Record<string, string> = {
  empty: '',
  onlyComments: '# nothing here\n',
  scalar: 'just a string',
  list: '- a\n- b\n',
  aliasBomb: ['a: &a ["x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n'),
  deepNesting: 'bot: ' + '['.repeat(5000) + ']'.repeat(5000),
  huge: 'bot:\n  admins:\n' + '    - wxid_x\n'.repeat(200_000),
  binary: '\u0000\u0001\u0002\uFFFE\uD800 not text',
  bom: '\uFEFFbot:\n  timezone: Asia/Shanghai\n',
  groupsNotList: 'groups: { name: x }\n',
  tabs: 'bot:\n\ttimezone: Asia/Shanghai\n',
  imeEverywhere: 'bot：\n\u3000\u3000admins: ［wxid_a，wxid_b】\n　groups: [{ name： “g”, match: ｛ topic: x ｝ }\n',
  imeOnly: '：，、\u3000【】［］｛｝（）“”‘’\n',
  deepFullWidth: 'bot: ' + '['.repeat(3000) + '，'.repeat(100) + '】'.repeat(3000),
}

const PROBLEM_LINE = /^(.+):\d+:\d+: /

describe('fault: config fuzz', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let base: string[]
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-fuzz-'))
    base = (await readFile('config/bot.example.yaml', 'utf8')).split('\n')
  })
  afterAll(async () => cleanup())

  async function check(name: string, text: string): Promise<{ code: number; out: string; err: string }> {
    const file = join(dir, `${name}.yaml`)
    await writeFile(file, text)
    let out = ''
    let err = ''
    const code = await runCheck(['--config', file], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) })
    return { code, out, err }
  }

  function expectClean(r: { code: number; out: string; err: string }, label: string): void {
    expect([0, 1], label).toContain(r.code)
    expect(r.err + r.out, label).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/) // no stack trace
    if (r.code === 1) {
      const lines = r.err.trim().split('\n')
      expect(lines.at(-1), label).toMatch(/problem\(s\); the config was not accepted\.$/)
      for (const line of lines.slice(0, -1)) expect(line, label).toMatch(PROBLEM_LINE)
    } else {
      expect(r.out, label).toMatch(/: OK — /)
    }
  }

  it('300 mutated configs are each accepted, or rejected with file:line:col, never with a crash', async () => {
    const rnd = mulberry32(20261126)
    const names = Object.keys(MUTATIONS)
    let rejected = 0
    for (let n = 0; n < 300; n++) {
      let text = base.join('\n')
      const applied: string[] = []
      const times = 1 + Math.floor(rnd() * 3)
      for (let k = 0; k < times; k++) {
        const m = pick(names, rnd)
        applied.push(m)
        text = MUTATIONS[m]!(text.split('\n'), rnd)
      }
      const r = await check(`m${n}`, text)
      expectClean(r, `mutation ${n}: ${applied.join(' + ')}`)
      if (r.code === 1) rejected++
    }
    // the fuzzer does exercise the error paths
    expect(rejected).toBeGreaterThan(150)
  }, 120_000)

  it('200 IME slips, each aimed at a key, an indent, a list or a quoted value, are named at their line', async () => {
    const rnd = mulberry32(20261214)
    const names = Object.keys(IME_SLIPS)
    const seen = new Set<string>()
    for (let n = 0; n < 200; n++) {
      const name = pick(names, rnd)
      const slip = IME_SLIPS[name]!([...base], rnd)
      if (!slip) continue
      seen.add(name)
      const label = `IME slip ${n}: ${name} on line ${slip.line}: ${slip.text.split('\n')[slip.line - 1]}`
      const r = await check(`ime${n}`, slip.text)
      expectClean(r, label)
      const named = (r.code === 0 ? r.out : r.err).split('\n').filter((line) => line.includes(`.yaml:${slip.line}:`) && SLIP_NAMED.test(line))
      expect(named, label).not.toHaveLength(0)
      // when the slip is an error, it replaces YAML's own message for that line
      for (const line of r.err.split('\n').filter((x) => x.includes(`.yaml:${slip.line}:`))) expect(line, label).toMatch(SLIP_NAMED)
    }
    expect([...seen].sort()).toEqual([...names].sort())
  }, 120_000)

  it('nasty files: empty, alias bombs, deep nesting, huge, binary', async () => {
    for (const [name, text] of Object.entries(NASTY)) expectClean(await check(name, text), name)
  }, 60_000)

  it('the real `npm run check` accepts the example and prints problems, not stack traces', async () => {
    const run = (file: string, args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
        execFile(file, args, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr })),
      )
    const example = await run('npm', ['run', 'check', '--silent', '--', '--config', 'config/bot.example.yaml'])
    expect(example.code).toBe(0)
    expect(example.stdout).toMatch(/^config\/bot\.example\.yaml: OK — \d+ group\(s\)/m)
    expect(example.stdout).toMatch(/^    live: /m) // the summary speaks of the lives
    for (const name of ['aliasBomb', 'deepNesting', 'binary', 'groupsNotList']) {
      const file = join(dir, `cli-${name}.yaml`)
      await writeFile(file, NASTY[name]!)
      const r = await run('npm', ['run', 'check', '--silent', '--', '--config', file])
      expect(r.code, name).toBe(1)
      expect(r.stderr.split('\n')[0], name).toMatch(PROBLEM_LINE)
      expect(r.stderr, name).not.toMatch(/\n\s+at /)
    }
  }, 60_000)
})
