/**
 * Concurrent identical lookups share one call (an in-flight promise map, forgotten once
 * settled: this is a herd guard, not a cache). Wechaty readies a room it has not loaded yet
 * once per event — `Message.find` → `Room.find` → `Room.ready()`, which has no herd guard —
 * so a burst of 50 messages into a new room made 50 room payload calls, 50 member lists and
 * 50 × members contact lookups, each a gRPC round trip with puppet-service. The puppets'
 * caches only help once a first answer is in.
 */
export class InFlight {
  private readonly pending = new Map<string, Promise<unknown>>()

  run<T>(key: string, call: () => Promise<T>): Promise<T> {
    let p = this.pending.get(key) as Promise<T> | undefined
    if (!p) {
      p = call().finally(() => this.pending.delete(key))
      this.pending.set(key, p)
    }
    return p
  }

  get size(): number {
    return this.pending.size
  }
}

/** The puppet's lookups Wechaty makes while readying rooms, contacts and members. */
const GUARDED = ['roomRawPayload', 'roomMemberList', 'roomMemberRawPayload', 'contactRawPayload'] as const

/** Wrap a puppet instance's lookups (own properties shadow the class's methods) with a herd guard. */
export function guardPuppetLookups(puppet: object): void {
  const p = puppet as Record<string, unknown>
  if (p.__siyuLookupGuard) return
  p.__siyuLookupGuard = true
  for (const name of GUARDED) {
    const original = p[name]
    if (typeof original !== 'function') continue
    const inFlight = new InFlight()
    p[name] = function (this: unknown, ...args: string[]) {
      return inFlight.run(args.join('\n'), () => (original as (...a: string[]) => Promise<unknown>).apply(this, args))
    }
  }
}
