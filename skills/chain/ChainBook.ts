import type { Member } from '../../src/engine/Skill.js'
import { segment, type Namespace } from '../../src/store/Store.js'

/** One chain (接龙) in one room. */
export interface Chain {
  /** `c1`, `c2`… per group, in the order they were opened. */
  id: string
  roomId: string
  topic: string
  title: string
  /** Joiners beyond this go on the waitlist (absent: no limit). */
  limit?: number
  /** Closes by itself at this instant (a durable job). */
  deadline?: number
  openedBy: Member
  openedAt: number
  status: 'open' | 'closed'
  closedAt?: number
  /** Who closed it: an admin's contact id, `deadline`, or `console`. */
  closedBy?: string
  /** The last entry number given (entries are numbered in join order, never reused). */
  seq: number
}

/** One joiner. Their place is their rank by `seq` among the chain's entries. */
export interface Entry {
  seq: number
  member: string
  name: string
  note: string
  at: number
  /** How they joined: a trigger text, a repost of WeChat's own list, or a group note message. */
  via: 'text' | 'repost' | 'groupNote'
}

/** A joiner with their place: on the list (1…limit) or on the waitlist. */
export interface Placed extends Entry {
  place: number
  waiting: boolean
}

export type JoinResult =
  | { kind: 'joined'; entry: Placed }
  | { kind: 'waitlisted'; entry: Placed }
  | { kind: 'already'; entry: Placed }
  | { kind: 'noteUpdated'; entry: Placed }

/**
 * The chains of one group, in the skill's store slice:
 * `chains/<id>` the chain, `entries/<id>/<seq>` its joiners (one file per chain on disk),
 * `who/<id>/<contact>` → seq (one join per contact id), `open/<room>` → the room's open chain.
 * Every method is synchronous: a join reads and writes in one turn, so two joins can never
 * take the same place.
 */
export class ChainBook {
  constructor(private readonly ns: Namespace) {}

  get(id: string): Chain | undefined {
    return this.ns.get<Chain>(`chains/${segment(id)}`)
  }

  /** The room's open chain, if any. */
  openIn(roomId: string): Chain | undefined {
    const id = this.ns.get<string>(`open/${segment(roomId)}`)
    return id === undefined ? undefined : this.get(id)
  }

  /** Every chain, newest first. */
  all(): Chain[] {
    return this.ns
      .entries<Chain>('chains/', false)
      .map(([, c]) => c)
      .sort((a, b) => b.openedAt - a.openedAt || idNumber(b.id) - idNumber(a.id))
  }

  open(c: Omit<Chain, 'id' | 'status' | 'seq'>): Chain {
    const n = (this.ns.get<number>('meta/seq') ?? 0) + 1
    this.ns.set('meta/seq', n)
    const chain: Chain = { ...c, id: `c${n}`, status: 'open', seq: 0 }
    this.ns.set(`chains/${segment(chain.id)}`, chain)
    this.ns.set(`open/${segment(c.roomId)}`, chain.id)
    return chain
  }

  close(id: string, by: string, at: number): Chain | undefined {
    const c = this.get(id)
    if (!c || c.status !== 'open') return undefined
    const closed: Chain = { ...c, status: 'closed', closedAt: at, closedBy: by }
    this.ns.set(`chains/${segment(id)}`, closed)
    if (this.ns.get<string>(`open/${segment(c.roomId)}`) === id) this.ns.delete(`open/${segment(c.roomId)}`)
    return closed
  }

  /** Joiners in order, each with their place (the first `limit` on the list, the rest waiting). */
  entries(c: Chain): Placed[] {
    const list = this.ns
      .entries<Entry>(`entries/${segment(c.id)}/`)
      .map(([, e]) => e)
      .sort((a, b) => a.seq - b.seq)
    return list.map((e, i) => {
      const waiting = c.limit !== undefined && i >= c.limit
      return { ...e, waiting, place: waiting ? i - c.limit! + 1 : i + 1 }
    })
  }

  find(c: Chain, member: string): Placed | undefined {
    const seq = this.ns.get<number>(this.whoKey(c.id, member))
    if (seq === undefined) return undefined
    return this.entries(c).find((e) => e.seq === seq)
  }

  /** Join once per contact id; a new note from someone already in updates their note. */
  join(c: Chain, member: Member, note: string, via: Entry['via'], at: number): JoinResult {
    const had = this.find(c, member.id)
    if (had) {
      if (note === '' || note === had.note) return { kind: 'already', entry: had }
      const updated: Entry = { seq: had.seq, member: had.member, name: member.name, note, at: had.at, via: had.via }
      this.ns.set(this.entryKey(c.id, had.seq), updated)
      return { kind: 'noteUpdated', entry: { ...had, ...updated } }
    }
    // the stored record, not the caller's copy: two joins in one turn never share a number
    const current = this.get(c.id) ?? c
    const seq = current.seq + 1
    this.ns.set(`chains/${segment(c.id)}`, { ...current, seq })
    const entry: Entry = { seq, member: member.id, name: member.name, note, at, via }
    this.ns.set(this.entryKey(c.id, seq), entry)
    this.ns.set(this.whoKey(c.id, member.id), seq)
    const placed = this.entries(c).find((e) => e.seq === seq)!
    return { kind: placed.waiting ? 'waitlisted' : 'joined', entry: placed }
  }

  /**
   * Leave. Returns who left and, when a place on the list came free, the first of the
   * waitlist, who moved up onto it.
   */
  leave(c: Chain, member: string): { left: Placed; promoted?: Placed } | undefined {
    const before = this.entries(c)
    const left = before.find((e) => e.member === member)
    if (!left) return undefined
    this.ns.delete(this.entryKey(c.id, left.seq))
    this.ns.delete(this.whoKey(c.id, member))
    if (left.waiting || c.limit === undefined) return { left }
    const firstWaiting = before.find((e) => e.waiting)
    if (!firstWaiting) return { left }
    return { left, promoted: { ...firstWaiting, waiting: false, place: c.limit } }
  }

  /** Delete a chain and its entries (the sweep: long closed). */
  remove(id: string): void {
    const c = this.get(id)
    for (const k of this.ns.keys(`entries/${segment(id)}/`, false)) this.ns.delete(k)
    for (const k of this.ns.keys(`who/${segment(id)}/`, false)) this.ns.delete(k)
    this.ns.delete(`chains/${segment(id)}`)
    if (c && this.ns.get<string>(`open/${segment(c.roomId)}`) === id) this.ns.delete(`open/${segment(c.roomId)}`)
  }

  /**
   * Every entry of a contact, for the data rights of §11 (forget / export): chain id and entry.
   */
  entriesOf(member: string): Array<{ chain: Chain; entry: Entry }> {
    const out: Array<{ chain: Chain; entry: Entry }> = []
    for (const c of this.all()) {
      const seq = this.ns.get<number>(this.whoKey(c.id, member))
      if (seq === undefined) continue
      const e = this.ns.get<Entry>(this.entryKey(c.id, seq))
      if (e) out.push({ chain: c, entry: e })
    }
    return out
  }

  /** Remove a contact from every chain (forget): their entries go, the others keep their order. */
  forget(member: string): number {
    let n = 0
    for (const { chain, entry } of this.entriesOf(member)) {
      this.ns.delete(this.entryKey(chain.id, entry.seq))
      this.ns.delete(this.whoKey(chain.id, member))
      n++
    }
    for (const c of this.all()) {
      if (c.openedBy.id === member) this.ns.set(`chains/${segment(c.id)}`, { ...c, openedBy: { id: '', name: '' } })
    }
    return n
  }

  private entryKey(chainId: string, seq: number): string {
    return `entries/${segment(chainId)}/${String(seq).padStart(6, '0')}`
  }

  private whoKey(chainId: string, member: string): string {
    return `who/${segment(chainId)}/${segment(member)}`
  }
}

function idNumber(id: string): number {
  return Number(id.slice(1)) || 0
}
