import { followTable } from '../store/followTable.js'
import type { Table } from '../store/Store.js'

/** A contact's tags as TagBook keeps them (tag → mark; not imported: TagBook imports this). */
type Tagged = Record<string, unknown>

const NONE: readonly string[] = []

/**
 * Who has which tag, in memory, both ways: one scan on first use, then kept in step with every
 * change of a contact's tags, whoever writes them (see followTable). Tags are typed by people:
 * everything is in Maps and Sets, never keyed on a plain object.
 */
export class TagIndex {
  /** A contact's tags, sorted. */
  private readonly byContact = new Map<string, readonly string[]>()
  private readonly byTag = new Map<string, Set<string>>()

  static of(rows: Table<Tagged>): TagIndex {
    return followTable(rows, 'tags', () => new TagIndex())
  }

  private constructor() {}

  /** The contact's tags, sorted (do not change the array). */
  tagsOf(contactId: string): readonly string[] {
    return this.byContact.get(contactId) ?? NONE
  }

  /** Contacts with the tag (do not change the set). */
  with(tag: string): ReadonlySet<string> {
    return this.byTag.get(tag) ?? EMPTY
  }

  row(id: string, _before: Tagged | undefined, after: Tagged | undefined): void {
    // the tags the index has for them, not `before`: the index is its own truth of what it holds
    for (const t of this.byContact.get(id) ?? NONE) {
      const set = this.byTag.get(t)
      set?.delete(id)
      if (set?.size === 0) this.byTag.delete(t)
    }
    const tags = after === undefined ? [] : Object.keys(after).sort()
    if (tags.length === 0) {
      this.byContact.delete(id)
      return
    }
    this.byContact.set(id, tags)
    for (const t of tags) {
      let set = this.byTag.get(t)
      if (!set) this.byTag.set(t, (set = new Set()))
      set.add(id)
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set()
