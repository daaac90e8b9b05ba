import { Namespace, segment, type Store } from '../store/Store.js'

/** A question the bot passed to people (CONTRACT §8, the console's hand-off inbox). */
export interface Handoff {
  /** `h1`, `h2`… in the order they came. */
  id: string
  group: string
  roomId: string
  roomTopic: string
  memberId: string
  memberName: string
  text: string
  /** Why the bot did not answer itself (autoreply's hand-off reasons, or a rule's). */
  reason: string
  /** The reason for people, in Chinese (what the admins' note says). */
  reasonText?: string
  /** When it was handed off (ms since epoch). */
  at: number
  status: 'open' | 'closed'
  closedAt?: number
  /** `console`, `api`, or an admin's contact id. */
  closedBy?: string
  replies: Array<{ text: string; at: number; by: string }>
}

export type NewHandoff = Omit<Handoff, 'id' | 'status' | 'replies' | 'closedAt' | 'closedBy'>

/**
 * Every hand-off as a durable record (`core/handoffs/`), open until someone replies or
 * closes it. Reads and writes are synchronous, like every store access, so two hand-offs
 * can never take the same id.
 */
export class HandoffInbox {
  constructor(private readonly ns: Namespace) {}

  /** The inbox of a store (its `core/` is opened by the engine at start). */
  static of(store: Store): HandoffInbox {
    return new HandoffInbox(new Namespace(store, 'core/handoffs/'))
  }

  open(h: NewHandoff): Handoff {
    const n = (this.ns.get<number>('seq') ?? 0) + 1
    this.ns.set('seq', n)
    const record: Handoff = { ...h, id: `h${n}`, status: 'open', replies: [] }
    this.ns.set(this.key(record.id), record)
    return record
  }

  get(id: string): Handoff | undefined {
    return this.ns.get<Handoff>(this.key(id))
  }

  /** Newest first; only those with `status` when given. */
  list(status?: Handoff['status']): Handoff[] {
    const out: Handoff[] = []
    this.ns.store.each(`${this.ns.prefix}items/`, (_dir, _leaf, v) => {
      const h = v as unknown as Handoff
      if (!status || h.status === status) out.push(h)
    })
    return out.sort((a, b) => b.at - a.at || idNumber(b.id) - idNumber(a.id))
  }

  /** Record a reply (and close, unless told not to); undefined when there is no such hand-off. */
  reply(id: string, text: string, by: string, at: number, close = true): Handoff | undefined {
    const old = this.get(id)
    if (!old) return undefined
    const next: Handoff = { ...old, replies: [...old.replies, { text, at, by }] }
    if (close && old.status === 'open') Object.assign(next, { status: 'closed', closedAt: at, closedBy: by })
    this.ns.set(this.key(id), next)
    return next
  }

  /** Close without a reply; undefined when there is no such hand-off. Closing twice keeps the first. */
  close(id: string, by: string, at: number): Handoff | undefined {
    const old = this.get(id)
    if (!old) return undefined
    if (old.status === 'closed') return old
    const next: Handoff = { ...old, status: 'closed', closedAt: at, closedBy: by }
    this.ns.set(this.key(id), next)
    return next
  }

  /** Rewrite a hand-off as it is (a forgotten member's: texts and name removed). */
  replace(h: Handoff): void {
    if (!this.get(h.id)) throw new Error(`no hand-off ${h.id}`)
    this.ns.set(this.key(h.id), h)
  }

  private key(id: string): string {
    return `items/${segment(id)}`
  }
}

function idNumber(id: string): number {
  return Number(id.slice(1)) || 0
}
