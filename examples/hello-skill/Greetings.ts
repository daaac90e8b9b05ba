import { Namespace, type Store, type Table } from '../../src/store/Store.js'

export interface Greeter {
  name: string
  count: number
  /** When they last greeted (ms). */
  last: number
}

/**
 * hello's durable state for one group (`hello/group:<name>/greeters/`): how often each
 * member greeted. The chat handler reaches it through `ctx.store`, the console through the
 * store and the group's name — the same table either way.
 */
export class Greetings {
  private readonly greeters: Table<Greeter>

  constructor(ns: Namespace) {
    this.greeters = ns.table<Greeter>('greeters')
  }

  static of(store: Store, group: string): Greetings {
    return new Greetings(new Namespace(store, 'hello/').child(`group:${group}`))
  }

  /** One more greeting; synchronous (read and write in one step), returns the new count. */
  add(id: string, name: string, now: number): number {
    return this.greeters.update(id, (old) => ({ name, count: (old?.count ?? 0) + 1, last: now }))!.count
  }

  /** The members who greeted most, most first. */
  top(limit: number): Array<Greeter & { id: string }> {
    return this.greeters
      .rows()
      .map(([id, g]) => ({ id, ...g }))
      .sort((a, b) => b.count - a.count || a.last - b.last)
      .slice(0, limit)
  }

  total(): number {
    return this.greeters.rows().reduce((n, [, g]) => n + g.count, 0)
  }
}
