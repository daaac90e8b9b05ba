/**
 * Which rule answers a message: the first one, in config order, that matches. Built once per
 * config (in the schema's transform), then asked once per message, so the work is split:
 *
 * - `exact` texts go into one Map (text → lowest rule index): one lookup.
 * - every `keywords` entry goes into one Aho–Corasick automaton whose nodes carry the lowest
 *   rule index of any keyword ending there: one pass over the message, whatever the count.
 * - regexes run last, in rule order, and only while they could still beat the best index the
 *   other two found: a rule that cannot win is never run.
 *
 * Keywords and exact texts match case-insensitively and after NFKC (full-width `ＶＩＰ`, `？`
 * count as `vip`, `?`): members type both forms. Regexes see the message as typed, and run on
 * RE2's linear-time engine (src/text/operatorRegex.ts, compiled in config.ts).
 */

import { anyOf, type OperatorRegex } from '../../src/text/operatorRegex.js'

export type MatchRule =
  | { readonly keywords: readonly string[] }
  | { readonly exact: readonly string[] }
  | { readonly regex: OperatorRegex }

/** The form keywords and exact texts are compared in. */
export function foldText(s: string): string {
  return s.normalize('NFKC').toLowerCase()
}

export class RuleMatcher {
  private readonly exact = new Map<string, number>()
  private readonly keywords: KeywordAutomaton
  private readonly regexes: Array<{ index: number; regex: OperatorRegex }> = []
  /** Matches where any rule's regex does: most messages meet none, and are tested once. */
  private readonly anyRegex: OperatorRegex | undefined

  constructor(rules: readonly MatchRule[]) {
    const keywords: Array<{ text: string; index: number }> = []
    rules.forEach((rule, index) => {
      if ('exact' in rule) {
        for (const t of rule.exact) {
          const key = foldText(t.trim())
          if (!this.exact.has(key)) this.exact.set(key, index)
        }
      } else if ('keywords' in rule) {
        for (const k of rule.keywords) keywords.push({ text: foldText(k), index })
      } else {
        this.regexes.push({ index, regex: rule.regex })
      }
    })
    this.keywords = new KeywordAutomaton(keywords)
    this.anyRegex = anyOf(this.regexes.map((r) => r.regex))
  }

  /** Index of the first rule (in config order) that matches `text`, or undefined. */
  match(text: string): number | undefined {
    const folded = foldText(text.trim())
    let best = this.exact.get(folded) ?? NONE
    best = Math.min(best, this.keywords.lowest(folded, best))
    if (this.regexes.length === 0 || this.regexes[0]!.index >= best || this.anyRegex?.test(text) === false) {
      return best === NONE ? undefined : best
    }
    for (const { index, regex } of this.regexes) {
      if (index >= best) break
      if (regex.test(text)) {
        best = index
        break
      }
    }
    return best === NONE ? undefined : best
  }
}

const NONE = Number.MAX_SAFE_INTEGER

/**
 * Aho–Corasick over UTF-16 code units, answering one question: the lowest rule index of any
 * keyword contained in a text. Hand-written (about 60 lines) rather than taken from npm:
 * the packages return every hit (objects, or a count per pattern) and we need only a
 * minimum, which a node can precompute; and the best-kept one (modern-ahocorasick) matches
 * whole grapheme clusters, so `👍` would not be found in `👍🏻`, unlike `includes`, which is
 * what an operator expects and what the tests compare against.
 */
class KeywordAutomaton {
  /** Edges of the trie: key `node * 65536 + codeUnit` → child node. */
  private readonly edges = new Map<number, number>()
  private readonly fail: number[] = [0]
  /** Lowest rule index of a keyword that ends at this node or at a suffix of it. */
  private readonly out: number[] = [NONE]
  /** Lowest rule index of any keyword: nothing can beat it, so a scan may stop there. */
  private readonly floor: number

  constructor(keywords: ReadonlyArray<{ text: string; index: number }>) {
    let floor = NONE
    for (const { text, index } of keywords) {
      if (text.length === 0) continue
      let node = 0
      for (let i = 0; i < text.length; i++) {
        const key = node * 65536 + text.charCodeAt(i)
        let next = this.edges.get(key)
        if (next === undefined) {
          next = this.out.length
          this.out.push(NONE)
          this.fail.push(0)
          this.edges.set(key, next)
        }
        node = next
      }
      this.out[node] = Math.min(this.out[node]!, index)
      floor = Math.min(floor, index)
    }
    this.floor = floor
    this.linkFailures()
  }

  /** Breadth-first, so a node's failure target (a shorter suffix) is finished before it. */
  private linkFailures(): void {
    const children = new Map<number, Array<{ code: number; child: number }>>()
    for (const [key, child] of this.edges) {
      const parent = Math.floor(key / 65536)
      let list = children.get(parent)
      if (!list) children.set(parent, (list = []))
      list.push({ code: key % 65536, child })
    }
    const queue: number[] = []
    for (const { child } of children.get(0) ?? []) queue.push(child) // depth 1 fails to the root
    for (let head = 0; head < queue.length; head++) {
      const node = queue[head]!
      for (const { code, child } of children.get(node) ?? []) {
        this.fail[child] = this.step(this.fail[node]!, code)
        this.out[child] = Math.min(this.out[child]!, this.out[this.fail[child]!]!)
        queue.push(child)
      }
    }
  }

  private step(from: number, code: number): number {
    let node = from
    for (;;) {
      const next = this.edges.get(node * 65536 + code)
      if (next !== undefined) return next
      if (node === 0) return 0
      node = this.fail[node]!
    }
  }

  /** Lowest rule index of a keyword in `text`, or NONE; stops early once `bound` cannot be beaten. */
  lowest(text: string, bound = NONE): number {
    if (this.floor >= bound) return NONE
    let best = NONE
    let node = 0
    for (let i = 0; i < text.length; i++) {
      node = this.step(node, text.charCodeAt(i))
      const o = this.out[node]!
      if (o < best) {
        best = o
        if (best <= this.floor) break
      }
    }
    return best
  }
}
