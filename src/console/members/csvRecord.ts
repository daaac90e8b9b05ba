import { stringify } from 'csv-stringify/sync'

/**
 * A field csv-stringify would change (see below): it holds a quote, the delimiter or a line
 * break (then it is quoted), or, as text, starts with a character a spreadsheet reads as a
 * formula (then `escape_formulas` puts a `'` before it; a number may start with `-`).
 */
const SPECIAL_TEXT = /[",\n\r]|^[-=+@\t\uFF1D\uFF0B\uFF0D\uFF20]/
const SPECIAL_NUMBER = /[",\n\r]|^[=+@\t\uFF1D\uFF0B\uFF0D\uFF20]/

/**
 * One CSV record (`\n`-terminated), exactly as csv-stringify writes it with
 * `{ escape_formulas: true }`. Most of a member list's fields are plain (no quote, comma,
 * line break, nor formula start): a record of plain fields is just its fields joined by commas,
 * and is written so here; any other record is left to csv-stringify. csv-stringify spends
 * ~5 µs a field on its general machinery (casts, options, quoting rules for any delimiter),
 * which made the CSV of 100,000 members take seconds (bench/RESULTS.md, "Members").
 * tests/unit/members/csvRecord.test.ts compares the two on random and hostile fields.
 */
export function csvRecord(fields: ReadonlyArray<string | number>): string {
  let out = ''
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!
    const s = typeof f === 'number' ? String(f) : f
    if ((typeof f === 'number' ? SPECIAL_NUMBER : SPECIAL_TEXT).test(s)) return stringify([fields as Array<string | number>], { escape_formulas: true })
    out += i === 0 ? s : `,${s}`
  }
  return out + '\n'
}
