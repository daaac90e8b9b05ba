import { Parser, type CST } from 'yaml'

/**
 * Characters a Chinese input method types where YAML wanted ASCII: `：` for `:`, `，` `、` for
 * `,`, U+3000 for a space, `【】［］｛｝（）` for brackets, `“”‘’` for quotes. YAML takes them
 * as ordinary text, so the config either fails with an unreadable error or — worse — loads
 * with one trigger `签到，打卡` instead of two. This module finds them and says the fix.
 *
 * It reads the yaml library's CST (concrete syntax tree), not the raw text: the CST knows
 * which characters are plain (unquoted) scalars, which are quoted or block scalars, which are
 * comments, and whether a scalar is a key, a value or a list item, in block or flow style.
 * Only plain scalars are examined for syntax slips, so a quoted reply or a `|` block may
 * contain `，` and `：` freely. No library does this (linters check YAML, not what a
 * Chinese IME does to it), hence hand-written.
 */

/**
 * One suspected slip. `ifError` slips are only shown when an error is reported on the same
 * line (then they explain it): on their own they are too likely to be meant.
 */
export interface Slip {
  offset: number
  message: string
  severity: 'error' | 'warning'
  ifError?: boolean
  /** The slip also explains errors reported up to this offset (an unclosed `[…】` is reported where YAML gives up). */
  explainsTo?: number
}

/** Where a scalar sits: a map key, a map value, a list item, or the whole document. */
type Role = 'root' | 'key' | 'value' | 'item'

interface Where {
  role: Role
  /** Inside `[...]` or `{...}`: commas and brackets are syntax here. */
  flow: boolean
  /** A list item whose map goes on at this offset (see block-seq below). */
  mapGoesOnAt?: number
  /** Inside a flow collection that is never closed: that collection. */
  unclosed?: CST.FlowCollection
}

const HALF: Record<string, string> = { '【': '[', '】': ']', '［': '[', '］': ']', '｛': '{', '｝': '}', '（': '(', '）': ')' }
const OPEN_FULL = '【［｛（'
const CLOSE_FULL = '】］｝）'
const SEPARATORS = /[，、]/
const SEPARATOR_NAME: Record<string, string> = { '，': '全角逗号「，」', '、': '顿号「、」' }
const IDEOGRAPHIC_SPACE = '\u3000'

export function findImeSlips(text: string): Slip[] {
  const out: Slip[] = []
  const lineStartBefore = (offset: number): boolean => {
    for (let i = offset - 1; i >= 0; i--) {
      const c = text[i]
      if (c === '\n') return true
      if (c !== ' ' && c !== '\t') return false
    }
    return true
  }
  // an explicit stack, not recursion: `[[[[…` 5,000 deep is a config the fuzz test feeds us
  const stack: Array<{ token: CST.Token | null | undefined; where: Where }> = []
  for (const token of new Parser().parse(text)) stack.push({ token, where: { role: 'root', flow: false } })
  while (stack.length > 0) {
    const { token, where } = stack.pop()!
    if (!token) continue
    switch (token.type) {
      case 'document':
        stack.push({ token: token.value, where: { role: 'root', flow: false } })
        break
      case 'block-map':
        for (const item of token.items) {
          stack.push({ token: item.key, where: { role: 'key', flow: where.flow } })
          stack.push({ token: item.value, where: { role: 'value', flow: where.flow } })
        }
        break
      case 'block-seq':
        token.items.forEach((item, i) => {
          // `- keywords： [发货]  # …` then `  reply: …`: YAML reads the first line as a text item
          // and the next as an item without its `-`; the map this item was meant to be goes on there
          const next = token.items[i + 1]
          const orphan = next && !next.start.some((t) => t.type === 'seq-item-ind') ? next.value?.offset : undefined
          stack.push({ token: item.value, where: { role: 'item', flow: where.flow, mapGoesOnAt: orphan } })
        })
        break
      case 'flow-collection': {
        const isMap = token.start.source === '{'
        const closed = token.end.some((t) => t.type === 'flow-seq-end' || t.type === 'flow-map-end')
        const unclosed = closed ? undefined : token
        for (const item of token.items) {
          const pair = isMap || item.key !== undefined || (item.sep ?? []).some((s) => s.type === 'map-value-ind')
          stack.push({ token: item.key, where: { role: 'key', flow: true, unclosed } })
          stack.push({ token: item.value, where: { role: pair ? 'value' : 'item', flow: true, unclosed } })
        }
        break
      }
      case 'scalar':
        plainScalar(token, where, lineStartBefore(token.offset), out)
        break
      case 'double-quoted-scalar':
      case 'single-quoted-scalar':
        quotedScalar(token, out)
        break
      default:
      // block scalars, aliases, comments, errors: nothing an IME slip could hide in
    }
  }
  return out.sort((a, b) => a.offset - b.offset)
}

function plainScalar(token: CST.FlowScalar, where: Where, startsLine: boolean, out: Slip[]): void {
  const keyish = where.role === 'key' || where.role === 'root'
  const lineSeverity = keyish ? 'error' : 'warning'
  let at = token.offset
  const lines = token.source.split('\n')
  lines.forEach((line, i) => {
    const ownLine = i > 0 || startsLine
    // U+3000 as indentation, or after `:` / `-` where YAML needs an ASCII space
    const lead = /^[ \t]*\u3000/.exec(line)
    if (lead && !(where.flow && !keyish)) {
      const what = ownLine
        ? '缩进只能用半角空格 / full-width space (U+3000) used as indentation: indent with ASCII spaces'
        : '值开头的全角空格会留在文字里 / a full-width space (U+3000) at the start of a value is kept in the text'
      out.push({ offset: at + lead[0].length - 1, severity: ownLine || keyish ? 'error' : 'warning', message: `全角空格「　」→ 半角空格：${what}` })
    }
    const afterIndicator = /^([ \t]*(?:[A-Za-z0-9_$][\w$.-]*:|-))\u3000/.exec(line)
    if (afterIndicator && (ownLine || keyish)) {
      const sign = afterIndicator[1]!.trim() === '-' ? '短横线「-」' : '冒号「:」'
      out.push({
        offset: at + afterIndicator[1]!.length,
        severity: 'error',
        message: `全角空格「　」→ 半角空格：${sign}后面要用半角空格 / full-width space (U+3000) after "${afterIndicator[1]!.trim()}": YAML needs an ASCII space`,
      })
    }
    // `points： 10`: a key ended by a full-width colon (not a value like `title: VIP：专属`)
    // a value's continuation lines are text (`reply: 第一行⏎  VIP：第二行`); its first line is
    // checked only when it starts a line (`defaults:⏎  skills：`)
    const mapMeant = i === 0 && where.mapGoesOnAt !== undefined
    const colonHere = keyish || mapMeant || (i === 0 ? startsLine : where.role !== 'value')
    const colon = colonHere && !(where.flow && !keyish) ? /^([ \t\u3000]*)([A-Za-z0-9_$][\w$.-]*)[ \t\u3000]*：[ \t\u3000]*(.*)$/.exec(line) : null
    if (colon) {
      const [, , key, rest] = colon
      const fixed = `${key}: ${shorten(rest!.trim())}`.trim()
      out.push({
        offset: at + line.indexOf('：'),
        severity: mapMeant ? 'error' : lineSeverity,
        explainsTo: mapMeant ? where.mapGoesOnAt : undefined,
        message: `全角冒号「：」→ 半角「: 」（冒号后加空格）：${fixed} / full-width colon: write "${fixed}"`,
      })
    }
    at += line.length + 1
  })

  const text = token.source.trim()
  const start = token.offset + token.source.indexOf(text)
  if (where.flow) {
    // `[签到，打卡]`: one item where two were meant
    const sep = SEPARATORS.exec(text)
    if (sep) {
      const parts = text.split(SEPARATORS).map((s) => s.trim()).filter(Boolean)
      const meant = `[${parts.join(', ')}]`
      out.push({
        offset: start + sep.index,
        severity: 'warning',
        message:
          `${SEPARATOR_NAME[sep[0]]}→ 半角「,」：「${shorten(text)}」会被当成一项，可能想写 ${parts.length} 项 ${shorten(meant)}；若本来就是一句话，请加引号 / ` +
          `full-width comma: "${shorten(text)}" is read as ONE item; probably meant ${parts.length}: ${shorten(meant)} (if it is one text, put it in "quotes")`,
      })
    }
    // `[签到, 打卡】`: an opening or closing bracket typed full-width
    for (const [offset, c] of ends(text, start)) {
      if (!(OPEN_FULL + CLOSE_FULL).includes(c)) continue
      // in a list that is never closed, a full-width closing bracket is why
      const why = where.unclosed !== undefined && CLOSE_FULL.includes(c)
      out.push({
        offset,
        severity: why ? 'error' : 'warning',
        ifError: !why && (c === '（' || c === '）'),
        // measured only here, not per collection: nested unclosed lists would make that quadratic
        explainsTo: why ? endOf(where.unclosed!) : undefined,
        message: bracketMessage(c),
      })
    }
  } else if (text.length >= 2 && '［｛【'.includes(text[0]!) && /[\]］】}｝]$/.test(text) && (text[0] !== '【' || SEPARATORS.test(text) || text.includes(','))) {
    // `triggers: ［签到, 打卡］`: a whole value in full-width brackets is a list (or map) meant
    const map = text[0] === '｛'
    out.push({
      offset: start,
      severity: keyish ? 'error' : 'warning',
      message: map
        ? `全角大括号「｛」「｝」→ 半角「{」「}」：映射写作 { 键: 值 } / full-width braces: a map is written { key: value }`
        : `全角方括号「${text[0]}」「${text.at(-1)}」→ 半角「[」「]」：列表写作 [签到, 打卡] / full-width brackets: a list is written [a, b]`,
    })
  } else {
    // a bracket at either end of a key or value: explains a syntax error on its line, if any
    for (const [offset, c] of ends(text, start)) {
      if ((OPEN_FULL + CLOSE_FULL).includes(c)) out.push({ offset, severity: 'warning', ifError: true, message: bracketMessage(c) })
    }
  }

  // `reply: “{name} 签到成功”`: the curly quotes become part of every reply
  if (/^[“‘]/.test(text) && /[”’"']$/.test(text) && text.length >= 2) {
    out.push({
      offset: start,
      severity: keyish ? 'error' : 'warning',
      message: `中文引号「${text[0]}」「${text.at(-1)}」→ 半角「"」：现在引号会原样出现在文字里 / curly quotes are kept as part of the text; write "…" with ASCII quotes`,
    })
  } else if (/^[“‘]/.test(text)) {
    // `{ text: “{names} 好久不见”, max: 20 }`: in a flow map the `{` after the curly quote
    // ends the plain scalar and YAML reports the rest of the line; the quote is the cause
    out.push({
      offset: start,
      severity: 'warning',
      ifError: true,
      message: `中文引号「${text[0]}」→ 半角「"」：YAML 不认中文引号，后面的内容读不懂 / a curly quote: YAML does not take it as a quote, so what follows it cannot be read; write "…" with ASCII quotes`,
    })
  }
  placeholders(token, out)
}

function quotedScalar(token: CST.FlowScalar, out: Slip[]): void {
  placeholders(token, out)
  // `"签到成功”` then a newline: the closing quote was typed as a curly one, so YAML reads on
  // to the next quote it finds (an error is then reported on this line)
  const firstLine = token.source.split('\n')[0]!
  const curly = /[”’][ \t]*(?:#.*)?$/.exec(firstLine)
  if (curly && token.source.includes('\n')) {
    const q = token.source[0] === '"' ? '"' : "'"
    out.push({
      offset: token.offset + curly.index,
      severity: 'warning',
      ifError: true,
      message: `中文引号「${curly[0][0]}」→ 半角「${q}」：引号没有闭合 / the closing quote is a curly one: the text is never closed; use ${q}`,
    })
  }
}

/** `｛name｝` in a template is never replaced: the braces must be ASCII. */
function placeholders(token: CST.FlowScalar, out: Slip[]): void {
  for (const m of token.source.matchAll(/[｛{]([A-Za-z_]\w*)[｝}]/g)) {
    if (!m[0].includes('｛') && !m[0].includes('｝')) continue
    out.push({
      offset: token.offset + m.index + (m[0][0] === '｛' ? 0 : m[0].length - 1),
      severity: 'warning',
      message: `全角大括号「${m[0]}」→ 半角「{${m[1]}}」：占位符不会被替换 / full-width braces: the placeholder {${m[1]}} is not filled in`,
    })
  }
}

/** The first and last character of a text with their offsets (one pair for a single character). */
function ends(text: string, start: number): Array<[number, string]> {
  if (text.length === 0) return []
  const first: [number, string] = [start, text[0]!]
  return text.length === 1 ? [first] : [first, [start + text.length - 1, text[text.length - 1]!]]
}

/** The offset just past the last source character of a token (an explicit stack, as above). */
function endOf(token: CST.Token): number {
  let end = 0
  const stack: unknown[] = [token]
  while (stack.length > 0) {
    const t = stack.pop()
    if (!t || typeof t !== 'object') continue
    if (Array.isArray(t)) {
      stack.push(...t)
      continue
    }
    const o = t as { offset?: number; source?: unknown }
    if (typeof o.offset === 'number' && typeof o.source === 'string') end = Math.max(end, o.offset + o.source.length)
    for (const k of ['start', 'items', 'key', 'sep', 'value', 'end', 'props'] as const) stack.push((t as Record<string, unknown>)[k])
  }
  return end
}

function bracketMessage(c: string): string {
  if (c === '（' || c === '）') return `全角括号「${c}」：YAML 列表用 [ ]，映射用 { } / full-width parenthesis: YAML lists use [ ], maps { }`
  const half = HALF[c]!
  return `全角括号「${c}」→ 半角「${half}」 / full-width bracket: write "${half}"`
}

/** A value as one short line: a problem is one line of `npm run check`, whatever the YAML held. */
function shorten(s: string, max = 24): string {
  const chars = [...s.replace(/\s*\n\s*/g, ' ')]
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : chars.join('')
}
