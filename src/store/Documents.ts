import { splitKey, type Json } from './keys.js'

/** One document's rows: leaf → value (a Map: scanning it is ~20× faster than a big object's for-in). */
export type DocRows = Map<string, Json>

/** How a document not parsed yet is parsed: synchronously, when something first needs it. */
export type DocLoader = () => DocRows

/**
 * Values by document — one per key directory (`checkin/pool:x/members/07` holds
 * `…/07/wxid_a`) — each parsed only when something first reads or writes it. A big pool's
 * ledger of past days is read at start (bytes, or text from the database) but parsed only
 * if someone looks at it, and a pool's member buckets one by one, as they are needed.
 *
 * Parsing a document in one go also keeps its rows together in memory, in the order they
 * are scanned: rows that arrive one by one (from PostgreSQL, one message per row, with the
 * driver's garbage in between) end up scattered over the heap, and a scan of a million of
 * them is then ~5–8× slower (a cache miss per row; bench/RESULTS.md, "PostgreSQL-loaded").
 */
export class Documents {
  private readonly docs = new Map<string, DocRows | DocLoader>()

  /** A document to parse when first needed (replaces what was there). */
  setLazy(dir: string, load: DocLoader): void {
    this.docs.set(dir, load)
  }

  /** A document already parsed; an empty one is not kept. */
  setRows(dir: string, rows: DocRows): void {
    if (rows.size === 0) this.docs.delete(dir)
    else this.docs.set(dir, rows)
  }

  has(dir: string): boolean {
    return this.docs.has(dir)
  }

  /** Parsed yet? (false for a document that does not exist) */
  isParsed(dir: string): boolean {
    return this.docs.get(dir) instanceof Map
  }

  /** The document's rows, parsed now if they were not (a corrupt one throws, naming its file). */
  rows(dir: string): DocRows | undefined {
    const d = this.docs.get(dir)
    if (d === undefined || d instanceof Map) return d
    const rows = d()
    this.setRows(dir, rows)
    return rows
  }

  get(dir: string, leaf: string): Json | undefined {
    return this.rows(dir)?.get(leaf)
  }

  /** Set (or, with undefined, delete) one key. The document is parsed first. */
  set(dir: string, leaf: string, value: Json | undefined): void {
    let rows = this.rows(dir)
    if (value === undefined) {
      if (!rows) return
      rows.delete(leaf)
      if (rows.size === 0) this.docs.delete(dir)
      return
    }
    if (!rows) this.docs.set(dir, (rows = new Map()))
    rows.set(leaf, value)
  }

  apply(key: string, value: Json | undefined): void {
    const { dir, leaf } = splitKey(key)
    this.set(dir, leaf, value)
  }

  /** Every document's directory, parsed or not. */
  dirs(): IterableIterator<string> {
    return this.docs.keys()
  }

  /** Directories that may hold keys under `prefix` (`a/b/` → `a/b`, `a/b/c`…, and `a` for `a/bc…`). */
  *dirsUnder(prefix: string): Generator<string> {
    for (const dir of this.docs.keys()) if (dirMayHold(dir, prefix)) yield dir
  }

  get size(): number {
    return this.docs.size
  }
}

/** Can directory `dir` hold a key starting with `prefix`? */
export function dirMayHold(dir: string, prefix: string): boolean {
  const d = dir + '/'
  return d.startsWith(prefix) || prefix.startsWith(d)
}

/**
 * A document as an object: without prototype. Leaves are ids and names from outside (a contact
 * id, a tag, a group name): `__proto__` or `constructor` must be a key like any other, never a
 * property of Object.prototype read or set by mistake.
 */
export function emptyDoc(): Record<string, Json> {
  return Object.create(null) as Record<string, Json>
}

/** A parsed document's own keys (JSON.parse makes `__proto__` an own key) on a null prototype. */
export function ownDoc(obj: Record<string, Json>): Record<string, Json> {
  return Object.assign(emptyDoc(), obj)
}

/** Rows from a parsed JSON object (a document's file or text): its own keys only, never inherited ones. */
export function rowsOf(obj: Record<string, Json>): DocRows {
  const rows: DocRows = new Map()
  for (const leaf of Object.keys(obj)) rows.set(leaf, obj[leaf]!)
  return rows
}

/** A document's rows as the JSON text of one object (what its file holds), built on a null prototype. */
export function docText(rows: DocRows): string {
  const doc = emptyDoc()
  for (const [leaf, v] of rows) doc[leaf] = v
  return JSON.stringify(doc)
}
