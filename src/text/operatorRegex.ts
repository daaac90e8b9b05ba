import { RE2JS } from 're2js'

/**
 * Every regex an operator writes in the config (autoreply rules, guard, group matching) is
 * compiled here and runs on RE2's linear-time engine (re2js, a pure-JS port of RE2), so a
 * pattern such as `(a+)+$` meeting a crafted message cannot stall the event loop.
 * RE2 has no backreferences or lookaround; a pattern using them is a config error.
 */
export interface OperatorRegex {
  readonly source: string
  test(text: string): boolean
}

export interface RegexFlags {
  caseInsensitive?: boolean
}

/** Throws an Error with a short operator-facing message when RE2 cannot compile the pattern. */
export function compileOperatorRegex(source: string, flags: RegexFlags = {}): OperatorRegex {
  const re = RE2JS.compile(source, flags.caseInsensitive ? RE2JS.CASE_INSENSITIVE : 0)
  // RE2JS.test (an unanchored search without match details) is ~10× faster than matcher().find()
  return { source, test: (text) => re.test(text) }
}
