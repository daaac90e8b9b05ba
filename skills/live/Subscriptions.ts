import type { Member } from '../../src/engine/Skill.js'
import type { Namespace } from '../../src/store/Store.js'
import { segment, unsegment } from '../../src/store/Store.js'

interface Subscription {
  id: string
  name: string
  at: number
  /** Order of subscribing to this live (several can share a millisecond). */
  n: number
}

/**
 * Who subscribed to which live, per room: `subs/<live ref>/<room>/<member>`, one small record
 * each, so subscribing twice is one record and a big room does not rewrite one big list.
 */
export class Subscriptions {
  private readonly ns: Namespace

  constructor(store: Namespace) {
    this.ns = store.child('subs')
  }

  /** Subscribe; false when the member had already subscribed to this live in this room. */
  add(ref: string, roomId: string, member: Member, now: number): boolean {
    const room = this.ns.child(ref).child(roomId)
    const key = segment(member.id)
    if (room.get<Subscription>(key)) return false
    const n = (this.ns.get<number>(countKey(ref)) ?? 0) + 1
    this.ns.set(countKey(ref), n)
    room.set<Subscription>(key, { id: member.id, name: member.name, at: now, n })
    return true
  }

  /** A room's subscribers, in the order they subscribed. */
  inRoom(ref: string, roomId: string): Member[] {
    return this.ns
      .child(ref)
      .child(roomId)
      .entries<Subscription>()
      .map(([, s]) => s)
      .sort((a, b) => a.n - b.n)
      .map((s) => ({ id: s.id, name: s.name }))
  }

  /** Subscribers in every room of the group. */
  count(ref: string): number {
    return this.ns.get<number>(countKey(ref)) ?? 0
  }

  /** Every subscription of a member, any live and room (their data rights). */
  ofMember(memberId: string): Array<{ ref: string; roomId: string; at: number }> {
    const out: Array<{ ref: string; roomId: string; at: number }> = []
    const leaf = segment(memberId)
    for (const key of this.ns.keys('', false)) {
      const parts = key.split('/')
      if (parts.length !== 3 || parts[2] !== leaf) continue
      const s = this.ns.get<Subscription>(key)
      if (s) out.push({ ref: unsegment(parts[0]!), roomId: unsegment(parts[1]!), at: s.at })
    }
    return out
  }

  /** Remove a member's subscriptions (the counts stay: they were subscribers). Returns how many. */
  forgetMember(memberId: string): number {
    const leaf = segment(memberId)
    let n = 0
    for (const key of this.ns.keys('', false)) {
      const parts = key.split('/')
      if (parts.length === 3 && parts[2] === leaf) {
        this.ns.delete(key)
        n++
      }
    }
    return n
  }

  forget(ref: string): void {
    const live = this.ns.child(ref)
    for (const k of live.keys()) live.delete(k)
    this.ns.delete(countKey(ref))
  }
}

/** Beside the live's folder, not in it: `subs/<ref>#count`. */
const countKey = (ref: string): string => `${segment(ref)}#count`
