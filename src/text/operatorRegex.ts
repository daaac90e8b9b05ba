import { RE2JS } from 're2js'

/**
 * Every regex an operator writes in the config (autoreply rules, group matching by
 * `/regex/flags`) is compiled here and runs on RE2's linear-time engine (re2js, a pure-JS
 * port of RE2): matching costs time proportional to the text, so a pattern such as `(a+)+$`
 * meeting a 4,000-character message crafted for it cannot stall the event loop the way a
 * backtracking `RegExp` does. RE2 has no backreferences and no lookaround; a pattern using
 * them is a config error at its `file:line:col` (`npm run check`, start, `#reload`).
 *
 * Operators write JavaScript regexes (what every online tester shows), so the source is
 * translated where the two dialects differ and RE2 has an equivalent (see docs/regex.md):
 *
 * - `\uXXXX`, `\u{X…}` (and surrogate pairs) → `\x{…}`: `[\u4e00-\u9fa5]` is the classic
 *   "any Chinese character" and RE2 has no `\u`.
 * - `\s` / `\S` → JavaScript's whitespace set (`\t\n\v\f\r`, every Unicode space separator
 *   such as the ideographic space U+3000, and U+FEFF); RE2's `\s` is ASCII only. (`\S`
 *   inside a character class keeps RE2's ASCII meaning: a class cannot hold a negated set.)
 * - `.` does not match `\r`, U+2028, U+2029 either (as in JavaScript) unless flag `s`.
 * - `[^]` (anything) and `[]` (nothing) keep their JavaScript meaning.
 *
 * The translation is a small hand-written scan because no npm package converts JS regex
 * syntax to RE2 syntax; it only rewrites the escapes above and copies everything else.
 */
export interface OperatorRegex {
  /** As the operator wrote it. */
  readonly source: string
  /** JavaScript flags as given (`i`, `m`, `s`, `u`, `g`). */
  readonly flags: string
  test(text: string): boolean
}

/** A pattern the linear-time engine cannot run, or that is not a regex at all. */
export class OperatorRegexError extends Error {
  constructor(
    readonly source: string,
    readonly detail: string,
  ) {
    super(detail)
    this.name = 'OperatorRegexError'
  }
}

/** Flags and what they become: `u` is how RE2 always reads text; `g` means nothing to a test. */
const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, u: 0, g: 0 }

/** Throws OperatorRegexError with an operator-facing message (English, then Chinese). */
export function compileOperatorRegex(source: string, flags = ''): OperatorRegex {
  let bits = 0
  for (const f of flags) {
    const bit = FLAGS[f]
    if (bit === undefined) {
      throw new OperatorRegexError(source, `flag "${f}" is not supported; use i (any case), m, s or u — 不支持的正则标志 "${f}"，可用 i（忽略大小写）、m、s、u`)
    }
    bits |= bit
  }
  const unsupported = unsupportedFeature(source)
  if (unsupported) throw new OperatorRegexError(source, unsupported)
  const translated = toRe2(source, bits & RE2JS.DOTALL ? true : false)
  let re: RE2JS
  try {
    re = RE2JS.compile(translated, bits)
  } catch (err) {
    throw new OperatorRegexError(source, explain(source, String((err as Error).message)))
  }
  const compiled: OperatorRegex = { source, flags, test: (text) => re.test(text) }
  programs.set(compiled, { translated, bits })
  return compiled
}

/** What each compiled regex was built from, for anyOf. */
const programs = new WeakMap<OperatorRegex, { translated: string; bits: number }>()

/**
 * One program that matches where any of `regexes` matches (an alternation, same flags), or
 * undefined when they cannot be joined (different flags, a clash such as a repeated group
 * name). A text meeting many rules' regexes is tested once instead of once per rule: RE2 in
 * JavaScript costs about a microsecond per call, so a hundred regex rules tried one by one on
 * every message cost more than the union does.
 */
export function anyOf(regexes: readonly OperatorRegex[]): OperatorRegex | undefined {
  const parts = regexes.map((r) => programs.get(r))
  if (parts.length < 2 || parts.some((p) => !p || p.bits !== parts[0]!.bits)) return undefined
  try {
    const re = RE2JS.compile(parts.map((p) => `(?:${p!.translated})`).join('|'), parts[0]!.bits)
    return { source: regexes.map((r) => r.source).join('|'), flags: regexes[0]!.flags, test: (text) => re.test(text) }
  } catch {
    return undefined
  }
}

const LINEAR_EN = 'operator regexes run on the linear-time RE2 engine so that no message can freeze the bot; rewrite the pattern without it'
const LINEAR_ZH = '正则在线性时间的 RE2 引擎上运行（任何消息都卡不住机器人），请改写'

/** Backreferences and lookaround, named plainly (RE2's own messages for them are cryptic). */
function unsupportedFeature(source: string): string | undefined {
  // outside a character class only: `[\1]` and `[(?=]` are not what they look like
  const bare = source.replace(/\\./gs, (m) => (/^\\[1-9k]$/.test(m) ? m : '__')).replace(/\[(?:\\.|[^\]\\])*\]/g, '__')
  const backref = /\\[1-9]|\\k</.exec(bare)
  if (backref) {
    const what = backref[0] === '\\k<' ? '\\k<name>' : backref[0]
    return `backreferences (${what}) are not supported: ${LINEAR_EN} — 不支持反向引用（${what}）：${LINEAR_ZH}`
  }
  const look = /\(\?<?[=!]/.exec(bare)
  if (look) return `lookaround (${look[0]}…) is not supported: ${LINEAR_EN} — 不支持环视断言（${look[0]}…）：${LINEAR_ZH}`
  return undefined
}

/** RE2's syntax errors in Chinese too; the offending piece is quoted when the operator wrote it. */
const RE2_ERRORS: Record<string, string> = {
  'missing closing )': '缺少右括号 )',
  'missing closing ]': '缺少右方括号 ]',
  'unexpected )': '多了一个右括号 )',
  'invalid escape sequence': '不支持的转义',
  'invalid nested repetition operator': '重复符号不能叠用（如 a**）',
  'missing argument to repetition operator': '重复符号前面缺少内容（如开头的 * 或 +）',
  'invalid repeat count': '重复次数无效（最多 1000）',
  'invalid character class range': '字符范围无效',
  'invalid character class': '字符类无效',
  'invalid named capture': '命名分组无效',
  'invalid or unsupported Perl syntax': '不支持的 (? 语法',
  'trailing backslash at end of expression': '末尾多了一个反斜杠',
  'expression too large': '正则太大',
}

function explain(source: string, message: string): string {
  const m = /^error parsing regexp: ([^:`]+?)(?:: `(.*)`)?$/s.exec(message)
  const code = m?.[1] ?? message
  // RE2 quotes the piece it choked on (with the flags as a `(?i)` prefix); quote it only
  // when it is the operator's own text, not our translation
  const piece = m?.[2]?.replace(/^\(\?[a-zA-Z]+\)/, '')
  const quoted = piece && source.includes(piece) ? piece : undefined
  return `${code}${quoted ? ` at \`${quoted}\`` : ''} — 正则表达式有误：${RE2_ERRORS[code] ?? code}${quoted ? `（\`${quoted}\`）` : ''}`
}

/** JavaScript's `\s`, as RE2 character-class contents. */
const JS_SPACE = '\\t\\n\\v\\f\\r\\p{Z}\\x{feff}'
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]'

/** Rewrite the JavaScript-only escapes (see the file comment); everything else is copied. */
export function toRe2(source: string, dotAll: boolean): string {
  let out = ''
  let inClass = false
  for (let i = 0; i < source.length; ) {
    const c = source[i]!
    if (c === '\\') {
      const next = source[i + 1]
      if (next === 'u') {
        const u = unicodeEscape(source, i)
        if (u) {
          out += `\\x{${u.code.toString(16)}}`
          i = u.end
          continue
        }
      } else if (next === 's') {
        out += inClass ? JS_SPACE : `[${JS_SPACE}]`
        i += 2
        continue
      } else if (next === 'S' && !inClass) {
        out += `[^${JS_SPACE}]`
        i += 2
        continue
      }
      out += source.slice(i, i + 2)
      i += 2
      continue
    }
    if (inClass) {
      if (c === ']') inClass = false
      out += c
      i++
      continue
    }
    if (source.startsWith('[^]', i)) {
      out += '[\\x{0}-\\x{10ffff}]'
      i += 3
    } else if (source.startsWith('[]', i)) {
      out += '[^\\x{0}-\\x{10ffff}]'
      i += 2
    } else if (c === '[') {
      inClass = true
      out += source[i + 1] === '^' ? '[^' : '['
      i += source[i + 1] === '^' ? 2 : 1
    } else if (c === '.' && !dotAll) {
      out += JS_DOT
      i++
    } else {
      out += c
      i++
    }
  }
  return out
}

/** `\uXXXX` (a surrogate pair written as two is one code point) or `\u{X…}` at `i`. */
function unicodeEscape(s: string, i: number): { code: number; end: number } | undefined {
  const braced = /^\\u\{([0-9a-fA-F]{1,6})\}/.exec(s.slice(i, i + 10))
  if (braced) return { code: parseInt(braced[1]!, 16), end: i + braced[0].length }
  const four = /^\\u([0-9a-fA-F]{4})/.exec(s.slice(i, i + 6))
  if (!four) return undefined
  const hi = parseInt(four[1]!, 16)
  const low = /^\\u(d[c-f][0-9a-f]{2})/i.exec(s.slice(i + 6, i + 12))
  if (hi >= 0xd800 && hi <= 0xdbff && low) {
    return { code: 0x10000 + ((hi - 0xd800) << 10) + (parseInt(low[1]!, 16) - 0xdc00), end: i + 12 }
  }
  return { code: hi, end: i + 6 }
}
