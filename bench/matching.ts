import { AutoreplyConfig } from '../skills/autoreply/index.js'
import type { RuleMatcher } from '../skills/autoreply/RuleMatcher.js'
import { median } from './lib.js'

export const RULE_COUNT = 1000

/** 1,000 rules as operators write them: 70% keywords, 20% exact texts, 10% regexes. */
function rulesYamlObjects(): unknown[] {
  return Array.from({ length: RULE_COUNT }, (_, i) => {
    if (i % 10 === 9) return { regex: `型号\\s*${i}[A-Z]?号`, reply: `r${i}` }
    if (i % 10 >= 7) return { exact: `口令${i}`, reply: `r${i}` }
    return { keywords: [`关键词${i}甲`, `词${i}乙`], reply: `r${i}` }
  })
}

function messages(n: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const k = (i * 37) % RULE_COUNT
    out.push(
      i % 4 === 0
        ? `大家好，今天天气不错，请问什么时候发货呀？订单号 ${i}`
        : i % 4 === 1
          ? `请问${k % 10 === 9 ? `型号 ${k}号` : `关键词${k}甲`}还有货吗`
          : i % 4 === 2
            ? `口令${k - (k % 10) + 7}`
            : `这是一条很长的聊天消息，`.repeat(8) + `词${k}乙`,
    )
  }
  return out
}

export interface MatchingResult {
  usPerMessageCompiled: number
  usPerMessageNaive: number
  agree: boolean
}

interface NaiveRule {
  keywords?: string[]
  exact?: string
  re?: RegExp
}

/** The same rules matched the obvious way (regexes compiled once too): each in order until one matches. */
function naiveMatcher(rules: unknown[]): (text: string) => number | undefined {
  const prepared: NaiveRule[] = rules.map((r) => {
    const x = r as { keywords?: string[]; exact?: string; regex?: string }
    return { keywords: x.keywords?.map((k) => k.toLowerCase()), exact: x.exact?.toLowerCase(), re: x.regex ? new RegExp(x.regex, 'u') : undefined }
  })
  return (text) => {
    const t = text.trim()
    const lower = t.toLowerCase()
    for (let i = 0; i < prepared.length; i++) {
      const r = prepared[i]!
      if (r.keywords?.some((k) => lower.includes(k))) return i
      if (r.exact !== undefined && lower === r.exact) return i
      if (r.re?.test(t)) return i
    }
    return undefined
  }
}

export function matchingRound(): MatchingResult {
  const rules = rulesYamlObjects()
  const config = AutoreplyConfig.parse({ rules }) as { matcher: RuleMatcher }
  const texts = messages(10_000)
  const time = (fn: (t: string) => number | undefined): { us: number; out: Array<number | undefined> } => {
    const samples: number[] = []
    let out: Array<number | undefined> = []
    for (let round = 0; round < 5; round++) {
      const t0 = performance.now()
      out = texts.map(fn)
      samples.push(((performance.now() - t0) * 1000) / texts.length)
    }
    return { us: median(samples), out }
  }
  const compiled = time((t) => config.matcher.match(t))
  const naive = time(naiveMatcher(rules))
  return {
    usPerMessageCompiled: compiled.us,
    usPerMessageNaive: naive.us,
    agree: compiled.out.every((v, i) => v === naive.out[i]),
  }
}
