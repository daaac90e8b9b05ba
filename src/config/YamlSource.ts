import { isMap, isPair, isScalar, isSeq, isAlias, LineCounter, parseDocument, visit, type Document, type Node } from 'yaml'
import { findImeSlips } from './imeSlips.js'
import type { Problem } from './problems.js'

export type Path = ReadonlyArray<string | number>

/** An IME slip as a problem; `ifError` ones are shown only to explain an error on their line. */
export type SlipProblem = Problem & { ifError?: boolean; throughLine?: number }

/**
 * A parsed YAML file that still knows where every value came from, so each problem can be
 * reported as `file:line:col`.
 */
export class YamlSource {
  readonly doc: Document
  private readonly lines = new LineCounter()

  constructor(
    readonly file: string,
    readonly text: string,
  ) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true })
  }

  /** Syntax errors (and warnings) of the YAML itself. */
  syntaxProblems(): Problem[] {
    const out: Problem[] = []
    for (const e of this.doc.errors) {
      // an unclosed quote is reported where the file ends; point at where the text starts
      const start = e.code === 'MISSING_CHAR' && /quote/.test(e.message) ? this.openQuoteBefore(e.pos[0]) : undefined
      const message = start === undefined ? yamlMessage(e.code, e.message) : 'YAML: this quoted text is never closed (missing closing quote)'
      out.push(this.problemAt(start ?? e.pos[0], message, 'error'))
    }
    for (const w of this.doc.warnings) out.push(this.problemAt(w.pos[0], yamlMessage(w.code, w.message), 'warning'))
    return out
  }

  /** Characters a Chinese input method typed where YAML syntax was meant (see imeSlips.ts). */
  imeSlips(): SlipProblem[] {
    return findImeSlips(this.text).map((s) => ({
      ...this.problemAt(s.offset, s.message, s.severity),
      ifError: s.ifError,
      throughLine: s.explainsTo === undefined ? undefined : this.lines.linePos(s.explainsTo).line,
    }))
  }

  private openQuoteBefore(end: number): number | undefined {
    let found: number | undefined
    visit(this.doc, {
      Scalar: (_key, node) => {
        const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE'
        if (quoted && node.range && node.range[1] >= end) found ??= node.range[0]
      },
    })
    return found
  }

  problemAt(offset: number, message: string, severity: Problem['severity'] = 'error'): Problem {
    const { line, col } = this.lines.linePos(offset)
    return { file: this.file, line, col, message, severity }
  }

  /**
   * The source offset for a value at `path` (or its key, with `key: true`), or -1 when no part
   * of the path exists. Where the path does not go all the way, the deepest node that does
   * exist is used (a missing key is reported at the map that should hold it).
   */
  offsetOf(path: Path, opts: { key?: boolean; find?: string } = {}): { offset: number; exact: boolean } {
    let node: Node | null | undefined = this.doc.contents as Node | null
    let keyNode: Node | undefined
    let exact = true
    for (const seg of path) {
      node = this.deref(node)
      if (isMap(node)) {
        const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg))
        if (!pair) {
          exact = false
          break
        }
        keyNode = pair.key as Node
        node = (pair.value as Node | null) ?? keyNode
      } else if (isSeq(node) && typeof seg === 'number' && node.items[seg]) {
        keyNode = undefined
        node = node.items[seg] as Node
      } else {
        exact = false
        break
      }
    }
    const target = opts.key && exact && keyNode ? keyNode : node
    if (!target?.range) return { offset: -1, exact: false }
    let offset = target.range[0]
    if (opts.find && exact) {
      const at = this.text.indexOf(opts.find, target.range[0])
      if (at >= 0 && at < target.range[1]) offset = at
    }
    return { offset, exact }
  }

  private deref(node: Node | null | undefined): Node | null | undefined {
    return isAlias(node) ? (node.resolve(this.doc) as Node | undefined) : node
  }
}

function yamlMessage(code: string, message: string): string {
  const text = message.replace(/\s+at line \d+, column \d+.*$/s, '')
  return `YAML ${code.toLowerCase().replace(/_/g, ' ')}: ${text}`
}
