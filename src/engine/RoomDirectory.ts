import { findGroup, type RoomLike } from '../config/GroupMatcher.js'
import type { GroupConfig } from '../config/loadConfig.js'
import type { RoomRef } from './Skill.js'

/**
 * The rooms the bot is in, with their topics, and which group (if any) each belongs to.
 * Fed by the runtime (login, room events, topic changes); asked by the engine.
 */
export class RoomDirectory {
  private readonly rooms = new Map<string, RoomRef>()
  private groups: readonly GroupConfig[] = []
  private readonly groupOf = new Map<string, GroupConfig | null>()

  setGroups(groups: readonly GroupConfig[]): void {
    this.groups = groups
    this.groupOf.clear()
  }

  upsert(room: RoomRef): void {
    const known = this.rooms.get(room.id)
    if (known?.topic !== room.topic) this.groupOf.delete(room.id)
    this.rooms.set(room.id, { id: room.id, topic: room.topic })
  }

  remove(roomId: string): void {
    this.rooms.delete(roomId)
    this.groupOf.delete(roomId)
  }

  get(roomId: string): RoomRef | undefined {
    return this.rooms.get(roomId)
  }

  /** The group a room belongs to (first match wins), or undefined: the bot is silent there. */
  groupFor(room: RoomLike): GroupConfig | undefined {
    let g = this.groupOf.get(room.id)
    if (g === undefined) {
      g = findGroup(this.groups, room) ?? null
      this.groupOf.set(room.id, g)
    }
    return g ?? undefined
  }

  roomsOf(groupName: string): RoomRef[] {
    return [...this.rooms.values()].filter((r) => this.groupFor(r)?.name === groupName)
  }
}
