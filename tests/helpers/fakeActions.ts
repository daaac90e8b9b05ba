import type { Clock } from '../../src/clock/Clock.js'
import { NotConnectedError, type PuppetActions, type RoomMemberInfo } from '../../src/engine/actions.js'

export interface ActionCall {
  at: number
  kind: 'accept' | 'add' | 'remove'
  id: string
  contactId?: string
}

/**
 * The puppet's actions for unit tests: records every accept/add/remove with the fake clock's
 * time, answers member lists from `members`, and fails the next `failAdds` adds (`failRemoves` removals).
 */
export class FakeActions implements PuppetActions {
  readonly calls: ActionCall[] = []
  readonly members = new Map<string, string[]>()
  failAdds = 0
  failAccepts = 0
  /** Fail the next this many removals (a bot that is not the room's owner or admin). */
  failRemoves = 0
  /** False: logged out / cut off — every action fails with NotConnectedError, as WechatyRuntime's do. */
  online = true

  constructor(private readonly clock: Clock) {}

  canAct(): boolean {
    return this.online
  }

  private away(): void {
    if (!this.online) throw new NotConnectedError('not logged in')
  }

  async acceptFriendship(friendshipId: string): Promise<void> {
    this.away()
    if (this.failAccepts > 0) {
      this.failAccepts--
      throw new Error('accept refused')
    }
    this.calls.push({ at: this.clock.now(), kind: 'accept', id: friendshipId })
  }

  async addToRoom(roomId: string, contactId: string): Promise<void> {
    this.away()
    if (this.failAdds > 0) {
      this.failAdds--
      throw new Error('操作太频繁')
    }
    this.calls.push({ at: this.clock.now(), kind: 'add', id: roomId, contactId })
  }

  async removeFromRoom(roomId: string, contactId: string): Promise<void> {
    this.away()
    if (this.failRemoves > 0) {
      this.failRemoves--
      throw new Error('roomDel refused: the bot is not the room owner or an admin')
    }
    this.calls.push({ at: this.clock.now(), kind: 'remove', id: roomId, contactId })
  }

  /** What roomMember says of a contact (default: their id as the name). */
  readonly infos = new Map<string, Omit<RoomMemberInfo, 'id'>>()
  /** The bot's own ids. */
  own = ['wxid_bot']
  /** Fail the next this many member-list reads. */
  failLists = 0
  /** Member-list reads, in order (room ids). */
  readonly lists: string[] = []

  async roomMemberIds(roomId: string): Promise<string[]> {
    this.lists.push(roomId)
    if (this.failLists > 0) {
      this.failLists--
      throw new Error('member list unavailable')
    }
    return [...(this.members.get(roomId) ?? ['wxid_bot'])]
  }

  async roomMember(_roomId: string, contactId: string): Promise<RoomMemberInfo> {
    return { id: contactId, name: contactId, ...this.infos.get(contactId) }
  }

  ownIds(): string[] {
    return this.own
  }

  of(kind: ActionCall['kind']): ActionCall[] {
    return this.calls.filter((c) => c.kind === kind)
  }
}
