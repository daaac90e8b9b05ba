import type { RoomStanding } from './MemberRecord.js'

/**
 * Who is in which room now, in memory: built from the member rows the first time it is
 * needed (one scan), then kept in step by MemberBook's one write path. It answers "the
 * members of a group" without scanning every member of the brand (100,000 members in 200
 * rooms: a group's list is a few set lookups, not a scan).
 */
export class RoomIndex {
  private readonly byRoom = new Map<string, Set<string>>()
  /** The group each room was last seen in (from the standings). */
  private readonly groupOf = new Map<string, string>()

  /** Members in the room now. */
  inRoom(roomId: string): ReadonlySet<string> {
    return this.byRoom.get(roomId) ?? EMPTY
  }

  /** Rooms of a group that have members. */
  roomsOf(group: string): string[] {
    const out: string[] = []
    for (const [room, g] of this.groupOf) if (g === group && (this.byRoom.get(room)?.size ?? 0) > 0) out.push(room)
    return out
  }

  /** Members in some room of the group now. */
  inGroup(group: string): Set<string> {
    const rooms = this.roomsOf(group)
    if (rooms.length === 1) return new Set(this.byRoom.get(rooms[0]!))
    const out = new Set<string>()
    for (const r of rooms) for (const id of this.byRoom.get(r)!) out.add(id)
    return out
  }

  /** Every room with members, and its group. */
  rooms(): Array<{ room: string; group: string; members: number }> {
    return [...this.byRoom].filter(([, s]) => s.size > 0).map(([room, s]) => ({ room, group: this.groupOf.get(room) ?? '', members: s.size }))
  }

  /** A member's standings changed from `before` to `after` (either may be empty). */
  apply(id: string, before: readonly RoomStanding[] | undefined, after: readonly RoomStanding[] | undefined): void {
    for (const s of before ?? []) if (s.in) this.byRoom.get(s.room)?.delete(id)
    for (const s of after ?? []) {
      this.groupOf.set(s.room, s.group)
      if (!s.in) continue
      let set = this.byRoom.get(s.room)
      if (!set) this.byRoom.set(s.room, (set = new Set()))
      set.add(id)
    }
  }
}

const EMPTY: ReadonlySet<string> = new Set()
