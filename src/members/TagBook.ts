import type { Namespace, Table } from '../store/Store.js'

/** Where a tag came from (CONTRACT §4). */
export type TagSource = 'admin' | 'streak' | 'points' | 'redeem' | 'guard' | 'gate' | 'api' | 'console'

export interface TagMark {
  source: TagSource
  at: number
  /** Who set it, when a person did (an admin's contact id, `console`, `api`). */
  by?: string
}

/** One contact's tags: tag → where and when it came from. */
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

  of(contactId: string): ContactTags {
    return this.rows.get(contactId) ?? {}
  }

  names(contactId: string): string[] {
    return Object.keys(this.of(contactId)).sort()
  }

  has(contactId: string, tag: string): boolean {
    return this.of(contactId)[tag] !== undefined
  }

  /** True when the tag was new (an existing tag keeps its first source and time). */
  add(contactId: string, tag: string, mark: TagMark): boolean {
    if (this.has(contactId, tag)) return false
    this.rows.update(contactId, (old) => ({ ...old, [tag]: mark }))
    return true
  }

  /** True when the contact had the tag. */
  remove(contactId: string, tag: string): boolean {
    const old = this.rows.get(contactId)
    if (!old?.[tag]) return false
    const { [tag]: gone, ...rest } = old
    if (Object.keys(rest).length === 0) this.rows.delete(contactId)
    else this.rows.set(contactId, rest)
    if (gone) this.onRemove?.(contactId, tag, gone)
    return true
  }

  /** Every contact with this tag (a scan: for the console and audits, not per message). */
  contactsWith(tag: string): string[] {
    const out: string[] = []
    this.rows.forEach((id, tags) => {
      if (tags[tag]) out.push(id)
    })
    return out
  }
}
