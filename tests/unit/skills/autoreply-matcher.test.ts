import { describe, expect, it } from 'vitest'
import { foldText, RuleMatcher, type MatchRule } from '../../../skills/autoreply/RuleMatcher.js'
import { compileOperatorRegex } from '../../../src/text/operatorRegex.js'

/** What RuleMatcher must compute, the slow and obvious way: rule by rule, in order. */
function naiveMatch(rules: readonly MatchRule[], text: string): number | undefined {
  const folded = foldText(text.trim())
  const i = rules.findIndex((r) => {
    if ('keywords' in r) return r.keywords.some((k) => folded.includes(foldText(k)))
    if ('exact' in r) return r.exact.some((e) => foldText(e.trim()) === folded)
    return r.regex.test(text)
  })
  return i < 0 ? undefined : i
}

/** A small seeded generator (mulberry32): the same cases on every run. */
function rng(seed: number) {
  let a = seed >>> 0
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  const int = (n: number): number => Math.floor(next() * n)
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!
  return { next, int, pick }
}

// few symbols, so keywords overlap and share prefixes and suffixes: Chinese, both cases,
// full-width forms, an emoji (a surrogate pair) and a skin-tone modifier
const SYMBOLS = ['发', '货', '券', '码', '优', '惠', 'a', 'B', 'b', 'Ａ', 'ｂ', '？', '?', '👍', '🏻', ' ']

function word(r: ReturnType<typeof rng>, min: number, max: number): string {
  return Array.from({ length: min + r.int(max - min + 1) }, () => r.pick(SYMBOLS)).join('')
}

function regexFrom(r: ReturnType<typeof rng>): RegExp {
  const lit = (): string => word(r, 1, 2).replace(/[?]/g, '\\?')
  const shapes = [
    () => `${lit()}.${lit()}`,
    () => `(${lit()}|${lit()})`,
    () => `^${lit()}`,
    () => `${lit()}$`,
    () => `[发券a]${lit()}`,
    () => `${lit()}+${lit()}`,
  ]
  return new RegExp(r.pick(shapes)(), 'iu')
}

function randomRules(r: ReturnType<typeof rng>, n: number): MatchRule[] {
  return Array.from({ length: n }, (): MatchRule => {
    const kind = r.int(10)
    if (kind < 6) return { keywords: Array.from({ length: 1 + r.int(3) }, () => word(r, 1, 4).trim() || '发') }
    if (kind < 8) return { exact: Array.from({ length: 1 + r.int(2) }, () => word(r, 1, 3)) }
    return { regex: regexFrom(r) }
  })
}

function randomMessages(r: ReturnType<typeof rng>, rules: readonly MatchRule[], n: number): string[] {
  return Array.from({ length: n }, () => {
    // half plain noise, half built around a piece of some rule (so late rules get hit too)
    if (r.next() < 0.5 || rules.length === 0) return word(r, 0, 12)
    const rule = r.pick(rules)
    const piece = 'keywords' in rule ? r.pick(rule.keywords) : 'exact' in rule ? r.pick(rule.exact) : word(r, 1, 3)
    return r.next() < 0.3 ? piece : `${word(r, 0, 5)}${piece}${word(r, 0, 5)}`
  })
}

describe('RuleMatcher', () => {
  it('finds the first rule in order, across kinds', () => {
    const m = new RuleMatcher([{ regex: /发.+慢/iu }, { keywords: ['she', 'he'] }, { exact: ['he'] }, { keywords: ['hers', 'h'] }])
    expect(m.match('发货好慢')).toBe(0)
    expect(m.match('ushers')).toBe(1)
    expect(m.match('he')).toBe(1)
    expect(m.match('h')).toBe(3)
    expect(m.match('x')).toBeUndefined()
  })

  it('a keyword ending inside a longer one is found through the failure links', () => {
    const m = new RuleMatcher([{ keywords: ['bc'] }, { keywords: ['abcd'] }])
    expect(m.match('abcx')).toBe(0)
    expect(m.match('abcd')).toBe(0)
  })

  it('substrings are code-unit substrings, as String.includes has them (👍 is in 👍🏻)', () => {
    expect(new RuleMatcher([{ keywords: ['👍'] }]).match('好的👍🏻')).toBe(0)
  })

  it('agrees with the naive reference on thousands of random rules and messages', () => {
    const r = rng(20261126)
    let compared = 0
    let matched = 0
    for (const ruleCount of [1, 5, 30, 200, 1000, 3000]) {
      const rules = randomRules(r, ruleCount)
      const matcher = new RuleMatcher(rules)
      for (const msg of randomMessages(r, rules, 1500)) {
        const expected = naiveMatch(rules, msg)
        const got = matcher.match(msg)
        if (got !== expected) expect({ msg, got, expected }).toEqual({ msg, got: expected, expected })
        compared++
        if (expected !== undefined) matched++
      }
    }
    expect(compared).toBe(9000)
    // the cases exercise both outcomes, not just misses
    expect(matched).toBeGreaterThan(3000)
    expect(compared - matched).toBeGreaterThan(1000)
  })

  it('with the regexes on RE2 (as the config compiles them, tried as one union first) it still agrees with JavaScript rule by rule', () => {
    const r = rng(20261127)
    let matchedByRegex = 0
    for (const ruleCount of [2, 10, 100, 1000]) {
      const rules = randomRules(r, ruleCount)
      const onRe2 = rules.map((rule): MatchRule => ('regex' in rule ? { regex: compileOperatorRegex(rule.regex.source, 'iu') } : rule))
      const matcher = new RuleMatcher(onRe2)
      for (const msg of randomMessages(r, rules, 1500)) {
        const expected = naiveMatch(rules, msg)
        const got = matcher.match(msg)
        if (got !== expected) expect({ msg, got, expected }).toEqual({ msg, got: expected, expected })
        if (expected !== undefined && 'regex' in rules[expected]!) matchedByRegex++
      }
    }
    expect(matchedByRegex).toBeGreaterThan(100)
  })

  it('an empty rule set matches nothing', () => {
    expect(new RuleMatcher([]).match('发货')).toBeUndefined()
  })
})
