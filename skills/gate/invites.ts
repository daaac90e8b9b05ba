import type { RoomRef } from '../../src/engine/Skill.js'
import { segment, type Namespace } from '../../src/store/Store.js'
import { takeHourlySlot } from '../../src/engine/hourlySlots.js'

/** An invite is pending until the contact's room-join, and counts against capacity this long. */
export const PENDING_MS = 24 * 3600_000

export interface PendingInvite {
  roomId: string
  topic: string
  name: string
  at: number
}

/**
 * A group's invites, durable in the gate's store: who is invited where (`pending/<contact>`),
 * and when invites are planned (`slots`, for invitesPerHour). Every method is synchronous.
 */
export class Invites {
  constructor(private readonly ns: Namespace) {}

  /** A contact's pending invite, unless it expired (an expired one is forgotten here). */
  pendingOf(contactId: string, now: number): PendingInvite | undefined {
    const p = this.ns.get<PendingInvite>(`pending/${segment(contactId)}`)
    if (p && now - p.at >= PENDING_MS) {
      this.ns.delete(`pending/${segment(contactId)}`)
      return undefined
    }
    return p
  }

  /** Pending invites per room, expired ones dropped. */
  pendingByRoom(now: number): Map<string, number> {
    const out = new Map<string, number>()
    for (const [key, p] of this.ns.entries<PendingInvite>('pending/')) {
      if (now - p.at >= PENDING_MS) {
        this.ns.delete(key)
        continue
      }
      out.set(p.roomId, (out.get(p.roomId) ?? 0) + 1)
    }
    return out
  }

  setPending(contactId: string, p: PendingInvite): void {
    this.ns.set(`pending/${segment(contactId)}`, p)
  }

  /** True when there was one (the contact joined, or the invite was given up). */
  clear(contactId: string): boolean {
    if (this.ns.get(`pending/${segment(contactId)}`) === undefined) return false
    this.ns.delete(`pending/${segment(contactId)}`)
    return true
  }

  /** Take the next invite slot under `perHour` (see takeHourlySlot); returns when this one may go. */
  takeSlot(now: number, perHour: number): number {
    return takeHourlySlot(this.ns, 'slots', now, perHour)
  }
}

export interface RoomLoad {
  room: RoomRef
  /** Members as WeChat counts them (the bot too) plus pending invites. */
  count: number
}

/** fill: the first room (by topic) with space (群满换群); balance: the emptiest. */
export function chooseRoom(loads: readonly RoomLoad[], capacity: number, order: 'fill' | 'balance'): RoomLoad | undefined {
  const open = loads.filter((l) => l.count < capacity)
  if (order === 'fill') return open[0]
  let best: RoomLoad | undefined
  for (const l of open) if (!best || l.count < best.count) best = l
  return best
}

/** Rooms in the order `fill` uses: by topic, numbers compared as numbers (VIP2群 before VIP10群). */
export function byTopic(rooms: readonly RoomRef[]): RoomRef[] {
  return [...rooms].sort((a, b) => a.topic.localeCompare(b.topic, 'zh', { numeric: true }) || a.id.localeCompare(b.id))
}
