/**
 * CSV for Excel (UTF-8 with a BOM, CRLF, RFC 4180 quoting). By hand: a dozen lines, and what
 * the CSV libraries do not do by default matters here — a cell a member wrote (a note, a
 * name) that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to Excel,
 * so it is prefixed with `'` (OWASP's advice against CSV injection).
 */
export function toCsv(rows: ReadonlyArray<ReadonlyArray<string>>): string {
  return '\uFEFF' + rows.map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

function cell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe
}
