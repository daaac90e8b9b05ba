import { unsegment, type Store, type Table } from './Store.js'

/** Told of a row of a table: once per row at first (`before` undefined), then of every change. */
export interface RowFollower<T> {
  row(id: string, before: T | undefined, after: T | undefined): void
}

const registry = new WeakMap<Store, Map<string, RowFollower<unknown>>>()

/**
 * Something kept in memory from a table's rows (an index): made on first use, told of every
 * row then (one scan), and from then on of every set or delete under the table, synchronously,
 * in the same turn, whoever writes it (a store watch, as PoolRanks follows a pool). One per
 * store, table and `kind`. The scan and the watch start in the same turn: no change falls
 * between them.
 */
export function followTable<T, F extends RowFollower<T>>(table: Table<T>, kind: string, make: () => F): F {
  const store = table.ns.store
  let followers = registry.get(store)
  if (!followers) registry.set(store, (followers = new Map()))
  const key = `${kind}\n${table.ns.prefix}`
  let f = followers.get(key) as F | undefined
  if (!f) {
    const made = make()
    table.forEach((id, row) => made.row(id, undefined, row))
    store.watch(table.ns.prefix, (_dir, leaf, before, after) => made.row(unsegment(leaf), before as T | undefined, after as T | undefined))
    followers.set(key, (f = made))
  }
  return f
}
