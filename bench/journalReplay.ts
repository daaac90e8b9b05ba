/**
 * A start with a full journal (issue 15 point 7): N check-in records in one segment (80,000
 * is about 5.6 MiB, under the 8 MiB checkpoint trigger), opened as the bot opens its data dir.
 * The baseline is the replay loop as it was (it looked at every later line for each line).
 */
import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { FileAdapter } from '../src/store/FileAdapter.js'
import { parseSegment, serializeRecord } from '../src/store/Journal.js'
import { tempDir } from './lib.js'

/** A journal segment of `n` records, each one check-in (member row + ledger entry). */
export function journalText(n: number): string {
  const lines: string[] = []
  for (let i = 0; i < n; i++) {
    const id = `wxid_m${i}`
    lines.push(
      serializeRecord([
        [`checkin/pool:fans/members/${String(i % 32).padStart(2, '0')}/${id}`, { total: 10, streak: 1, last: '2026-11-26' }],
      ]),
    )
  }
  return lines.join('')
}

/** Open a data dir whose journal holds `n` records: ms until the store is usable. */
export async function openWithJournal(n: number, text = journalText(n)): Promise<{ openMs: number; bytes: number }> {
  const { dir, cleanup } = await tempDir('siyu-replay-')
  try {
    await mkdir(join(dir, 'journal'))
    await writeFile(join(dir, 'journal', '1.jsonl'), text)
    const t = performance.now()
    const a = new FileAdapter(dir)
    await a.open()
    const openMs = performance.now() - t
    await a.close()
    return { openMs, bytes: Buffer.byteLength(text) }
  } finally {
    await cleanup()
  }
}

/**
 * Parsing only: the linear parser, and (when `baseline`) the earlier quadratic loop on the
 * same text — which takes about a minute at 80,000 records, so the bench runs it once per size.
 */
export function parseMs(text: string, baseline: boolean): { linearMs: number; quadraticMs?: number } {
  let t = performance.now()
  const linear = parseSegment('bench', text).records.length
  const linearMs = performance.now() - t
  if (!baseline) return { linearMs }
  t = performance.now()
  const quadratic = quadraticParse(text)
  const quadraticMs = performance.now() - t
  if (linear !== quadratic) throw new Error(`parsers disagree: ${linear} vs ${quadratic}`)
  return { linearMs, quadraticMs }
}

/** `node --import tsx bench/journalReplay.ts`: this case alone, as markdown rows. */
if (import.meta.url === `file://${process.argv[1]}`) {
  for (const n of [20_000, 40_000, 80_000]) {
    const text = journalText(n)
    const { linearMs, quadraticMs } = parseMs(text, true)
    const { openMs } = await openWithJournal(n, text)
    console.log(`| ${n} records (${(Buffer.byteLength(text) / 1048576).toFixed(1)} MiB) | parse ${linearMs.toFixed(0)} ms | before: ${quadraticMs!.toFixed(0)} ms | ${(quadraticMs! / linearMs).toFixed(0)}× | whole start ${openMs.toFixed(0)} ms |`)
  }
}

/** The replay loop before issue 15 (kept here as the baseline only). */
function quadraticParse(text: string): number {
  const lines = text.split('\n')
  let n = 0
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? ''
    if (line === '') continue
    const isLast = i === lines.length - 1 || lines.slice(i + 1).every((l) => l === '')
    if (!isLast || i !== lines.length - 1) {
      JSON.parse(line.slice(9))
      n++
    }
  }
  return n
}
