import type { Namespace, Table } from '../store/Store.js'
import { TagIndex } from './TagIndex.js'

/** Where a tag came from (CONTRACT §4). */
export type TagSource = 'admin' | 'streak' | 'points' | 'redeem' | 'guard' | 'gate' | 'api' | 'console'

export interface TagMark {
  source: TagSource
  at: number
  /** Who set it, when a person did (an admin's contact id, `console`, `api`). */
  by?: string
}

/**
 * One contact's tags: tag → where and when it came from. Tags are typed by people, so
 * `constructor`, `toString` and `__proto__` are tags like any other: what `of()` returns has
 * no prototype, and a row read from the store is only ever read through `Object.hasOwn`.
 */
export type ContactTags = Record<string, TagMark>

/**
 * Tags per contact id, brand-wide (one set for the whole bot, `core/tags/`), each with its
 * source and time. The one predicate gate, guard and the shop share reads them (see
 * requirement.ts). Reads and writes are synchronous, like every store access.
 */
export class TagBook {
  readonly rows: Table<ContactTags>

  constructor(
    ns: Namespace,
    /** Told of every tag taken away, synchronously (the member record keeps that it was given). */
    private readonly onRemove?: (contactId: string, tag: string, mark: TagMark) => void,
  ) {
    this.rows = ns.table<ContactTags>('tags')
  }

  /** A copy without a prototype: `of(id)[tag]` is that tag's mark or undefined, whatever the tag. */
  of(contactId: string): ContactTags {
    const out = Object.create(null) as ContactTags
    const row = this.rows.get(contactId)
    if (row) for (const [tag, mark] of Object.entries(row)) out[tag] = mark
    return out
  }

  names(contactId: string): string[] {
    return Object.keys(this.rows.get(contactId) ?? {}).sort()
  }

  has(contactId: string, tag: string): boolean {
    const row = this.rows.get(contactId)
    return row !== undefined && Object.hasOwn(row, tag)
  }

  /** True when the tag was new (an existing tag keeps its first source and time). */
  add(contactId: string, tag: string, mark: TagMark): boolean {
    if (this.has(contactId, tag)) return false
    // own data properties only (a spread and a computed key never call the __proto__ setter)
    this.rows.update(contactId, (old) => ({ ...old, [tag]: mark }))
    return true
  }

  /** True when the contact had the tag. */
  remove(contactId: string, tag: string): boolean {
    const old = this.rows.get(contactId)
    if (!old || !Object.hasOwn(old, tag)) return false
    const gone = old[tag]
    const rest = Object.fromEntries(Object.entries(old).filter(([t]) => t !== tag))
    if (Object.keys(rest).length === 0) this.rows.delete(contactId)
    else this.rows.set(contactId, rest)
    if (gone) this.onRemove?.(contactId, tag, gone)
    return true
  }

  /** Who has which tag, in memory, kept on every change (built on first use; see TagIndex). */
  index(): TagIndex {
    return TagIndex.of(this.rows)
  }

  /** Every contact with this tag (a scan: for the console and audits, not per message). */
  contactsWith(tag: string): string[] {
    const out: string[] = []
    this.rows.forEach((id, tags) => {
      if (Object.hasOwn(tags, tag)) out.push(id)
    })
    return out
  }
}
