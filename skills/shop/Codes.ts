import { statSync } from 'node:fs'
import { resolve } from 'node:path'
import { readTextFileSync, type TextEncoding } from '../../src/text/decodeText.js'
import { Namespace, type Store, type Table } from '../../src/store/Store.js'

/** A codes file bigger than this is refused at load (a wrong file, not a list of codes). */
export const MAX_CODES_FILE_BYTES = 10 * 1024 * 1024

/** A codes file as loaded: its codes in file order, each once. */
export interface CodeList {
  /** The path as written in the config. */
  file: string
  codes: readonly string[]
  /** Lines that repeated an earlier code (each code is given at most once anyway). */
  duplicates: number
  /** How the file was read (a Windows "Unicode text" export is UTF-16). */
  encoding: TextEncoding
}

/**
 * Read a codes file: one code a line; blank lines and lines starting with `#` are skipped;
 * spaces around a code are trimmed. The path is relative to the working directory (like
 * autoreply's `knowledge`). Read synchronously because it happens while the config is
 * validated (load, `npm run check`, reload), where a missing file must be an error at its line.
 * Decoded by its BOM or encoding (UTF-8, UTF-16 from Excel/Notepad "Unicode text", GB18030)
 * or refused with the line that is not text (TextFileError): a code read in the wrong
 * encoding would be given out garbled, and PostgreSQL refuses its NUL bytes.
 */
export function readCodesFile(file: string): CodeList {
  const path = resolve(file)
  const info = statSync(path)
  if (!info.isFile()) throw new Error('not a file')
  if (info.size > MAX_CODES_FILE_BYTES) throw new Error(`${info.size} bytes; the limit is ${MAX_CODES_FILE_BYTES}`)
  const seen = new Set<string>()
  let duplicates = 0
  const { text, encoding } = readTextFileSync(path, file)
  for (const raw of text.split(/\r?\n/)) {
    const code = raw.trim()
    if (code === '' || code.startsWith('#')) continue
    if (seen.has(code)) duplicates++
    else seen.add(code)
  }
  return { file, codes: [...seen], duplicates, encoding }
}

/** Who got a code: written in the same turn as the order that took it. */
export interface CodeAssignment {
  pool: string
  order: string
  item: string
  member: string
  at: number
}

/**
 * Which codes are given, brand-wide (`shop/codes/`): a code is given at most once, whatever
 * file, item or pool lists it, across restarts, reloads and cancellations (a cancelled order
 * keeps its code: it was shown to the member). The files only list candidates; this table
 * is the truth.
 */
export class CodeLedger {
  private readonly used: Table<CodeAssignment>
  /** Per loaded list: every code before this index is known to be given (they never come back). */
  private static readonly cursors = new WeakMap<readonly string[], number>()

  constructor(store: Store) {
    this.used = new Namespace(store, 'shop/').table<CodeAssignment>('codes')
  }

  assignment(code: string): CodeAssignment | undefined {
    return this.used.get(code)
  }

  /** The first code of the list not given yet, or undefined when all are (sold out). */
  nextFree(list: CodeList): string | undefined {
    let i = CodeLedger.cursors.get(list.codes) ?? 0
    while (i < list.codes.length && this.used.get(list.codes[i]!) !== undefined) i++
    CodeLedger.cursors.set(list.codes, i)
    return list.codes[i]
  }

  /** How many codes of the list are still free (a scan from the first free one). */
  freeCount(list: CodeList): number {
    const first = this.nextFree(list) === undefined ? list.codes.length : CodeLedger.cursors.get(list.codes)!
    let free = 0
    for (let i = first; i < list.codes.length; i++) if (this.used.get(list.codes[i]!) === undefined) free++
    return free
  }

  /** A forgotten member's codes stay given (never reused), assigned to the anonymous id. */
  anonymize(contactId: string, anonymousId: string): number {
    let n = 0
    for (const [code, a] of this.used.rows()) {
      if (a.member !== contactId) continue
      this.used.set(code, { ...a, member: anonymousId })
      n++
    }
    return n
  }

  /** Mark a code given. Throws if it already is: the caller checked in this same turn. */
  take(code: string, a: CodeAssignment): void {
    if (this.used.get(code) !== undefined) throw new Error('a code was about to be given twice')
    this.used.set(code, a)
  }
}
