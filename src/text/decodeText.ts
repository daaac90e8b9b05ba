import { readFileSync } from 'node:fs'
import { readFile } from 'node:fs/promises'

/** How a text file was read. */
export type TextEncoding = 'utf-8' | 'utf-8 with BOM' | 'utf-16le' | 'utf-16be' | 'gb18030'

export interface DecodedText {
  text: string
  encoding: TextEncoding
}

/** A text file that cannot be read as text: where (`file:line`) and why. */
export class TextFileError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | undefined,
    readonly detail: string,
  ) {
    super(`${file}${line === undefined ? '' : `:${line}`}: ${detail}`)
    this.name = 'TextFileError'
  }
}

const SAVE_AS_UTF8 = 'save it as UTF-8 (in Notepad: Save as → Encoding: UTF-8)'

/** Node built without full ICU has no GB18030 decoder: then such files are refused, not guessed. */
const gb18030 = (() => {
  try {
    return new TextDecoder('gb18030', { fatal: true })
  } catch {
    return undefined
  }
})()

/**
 * Read the bytes of a text file the config names (codes, knowledge, the config itself) as the
 * text its author typed, whatever Windows saved it as:
 *
 * - a BOM says it: UTF-8, UTF-16 LE or BE ("Unicode text" in Notepad and Excel); UTF-32 is refused;
 * - no BOM but NUL bytes in every other position: UTF-16 without a BOM (LE or BE by which half);
 * - else UTF-8; a file that is not UTF-8 in any line that has non-ASCII bytes, but is valid
 *   GB18030 (Windows' "ANSI" on a Chinese system), is read as GB18030;
 * - else refused at the first line that is not valid UTF-8.
 *
 * The text must hold no NUL or other control characters (tabs and line ends aside): a code
 * with a NUL in it is a file read in the wrong encoding, and a database refuses it.
 * Hand-written over the WHATWG TextDecoder: detection libraries guess by statistics, and a
 * config file must be read one way or refused, the same way every time.
 */
export function decodeText(bytes: Uint8Array, file: string): DecodedText {
  const b = bytes
  if ((b[0] === 0xff && b[1] === 0xfe && b[2] === 0 && b[3] === 0) || (b[0] === 0 && b[1] === 0 && b[2] === 0xfe && b[3] === 0xff)) {
    throw new TextFileError(file, undefined, `the file is UTF-32, which is not read here; ${SAVE_AS_UTF8}`)
  }
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return checked(file, utf8(b.subarray(3), file), 'utf-8 with BOM')
  if (b[0] === 0xff && b[1] === 0xfe) return checked(file, utf16(b.subarray(2), 'utf-16le', file), 'utf-16le')
  if (b[0] === 0xfe && b[1] === 0xff) return checked(file, utf16(b.subarray(2), 'utf-16be', file), 'utf-16be')
  const guessed = utf16WithoutBom(b)
  if (guessed) return checked(file, utf16(b, guessed, file), guessed)
  const lines = splitLines(b)
  const bad = lines.findIndex((l) => !validUtf8(l))
  if (bad < 0) return checked(file, new TextDecoder('utf-8', { ignoreBOM: true }).decode(b), 'utf-8')
  if (gb18030 && lines.every((l) => isAscii(l) || !validUtf8(l))) {
    try {
      return checked(file, gb18030.decode(b), 'gb18030')
    } catch {
      // neither: report where UTF-8 fails
    }
  }
  throw new TextFileError(file, bad + 1, `not valid UTF-8 text (the encoding is unknown, or the file is binary); ${SAVE_AS_UTF8}`)
}

/** Read and decode a text file (see decodeText); `shownAs` is the path as the config wrote it. */
export function readTextFileSync(path: string, shownAs = path): DecodedText {
  return decodeText(readFileSync(path), shownAs)
}

export async function readTextFile(path: string, shownAs = path): Promise<DecodedText> {
  return decodeText(await readFile(path), shownAs)
}

function checked(file: string, text: string, encoding: TextEncoding): DecodedText {
  // eslint-disable-next-line no-control-regex
  const m = /[\u0000-\u0008\u000e-\u001f\u007f]/.exec(text)
  if (m) {
    const line = text.slice(0, m.index).split('\n').length
    const code = m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')
    const what = code === '0000' ? 'a NUL character (U+0000)' : `a control character (U+${code})`
    throw new TextFileError(file, line, `${what} in the text (read as ${encoding}): the file is binary or in an encoding it does not say; ${SAVE_AS_UTF8}`)
  }
  return { text, encoding }
}

function utf8(b: Uint8Array, file: string): string {
  const lines = splitLines(b)
  const bad = lines.findIndex((l) => !validUtf8(l))
  if (bad >= 0) throw new TextFileError(file, bad + 1, `not valid UTF-8 text although the file starts with a UTF-8 BOM; ${SAVE_AS_UTF8}`)
  return new TextDecoder('utf-8', { ignoreBOM: true }).decode(b)
}

function utf16(b: Uint8Array, encoding: 'utf-16le' | 'utf-16be', file: string): string {
  if (b.length % 2 === 1) throw new TextFileError(file, undefined, `the file looks like ${encoding.toUpperCase()} but has an odd number of bytes (cut short?); ${SAVE_AS_UTF8}`)
  try {
    return new TextDecoder(encoding, { fatal: true, ignoreBOM: true }).decode(b)
  } catch {
    // a lone surrogate: the lenient decoder puts U+FFFD there, which tells the line
    const text = new TextDecoder(encoding, { ignoreBOM: true }).decode(b)
    throw new TextFileError(file, text.slice(0, Math.max(0, text.indexOf('\ufffd'))).split('\n').length, `not valid ${encoding.toUpperCase()} text; ${SAVE_AS_UTF8}`)
  }
}

/**
 * UTF-16 without a BOM, by where its NUL bytes are: text that is mostly ASCII (codes, ids)
 * has a zero in every other byte — the odd ones in little-endian, the even ones in big-endian.
 * Nothing is guessed when NULs are rare (a binary file, or UTF-16 that is all Chinese, which
 * then fails as UTF-8 and is refused with its line).
 */
function utf16WithoutBom(b: Uint8Array): 'utf-16le' | 'utf-16be' | undefined {
  if (b.length < 2 || b.length % 2 === 1) return undefined
  const pairs = Math.min(b.length, 8192) >> 1
  let evenZeros = 0
  let oddZeros = 0
  for (let i = 0; i < pairs * 2; i += 2) {
    if (b[i] === 0) evenZeros++
    if (b[i + 1] === 0) oddZeros++
  }
  if (oddZeros >= pairs * 0.3 && evenZeros <= pairs * 0.02) return 'utf-16le'
  if (evenZeros >= pairs * 0.3 && oddZeros <= pairs * 0.02) return 'utf-16be'
  return undefined
}

/** Lines of UTF-8 (or GB18030) bytes: 0x0A is never part of another character in either. */
function splitLines(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = []
  let start = 0
  for (let i = 0; i < b.length; i++) {
    if (b[i] === 0x0a) {
      out.push(b.subarray(start, i))
      start = i + 1
    }
  }
  out.push(b.subarray(start))
  return out
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true })

function validUtf8(line: Uint8Array): boolean {
  if (isAscii(line)) return true
  try {
    strictUtf8.decode(line)
    return true
  } catch {
    return false
  }
}

function isAscii(line: Uint8Array): boolean {
  for (let i = 0; i < line.length; i++) if (line[i]! >= 0x80) return false
  return true
}
