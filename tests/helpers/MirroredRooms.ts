import type { mock } from 'wechaty-puppet-mock'
import type { PuppetService } from './PuppetService.js'

/**
 * Several accounts in the same WeChat rooms, for end-to-end tests. Each account has its own
 * puppet service, and each puppet-mock is its own world, so this mirrors one logical world
 * into all of them: the same contacts and rooms (same ids, every account a member), and a
 * member's message is emitted in every service whose account is logged in — as WeChat
 * delivers one group message to every account in the group, each with its own message id.
 */
export class MirroredRooms {
  constructor(readonly services: readonly PuppetService[]) {
    // every account is a contact in every world
    for (const s of services) for (const other of services) if (other !== s) s.contact(other.botUser.payload.name, other.botUser.id)
  }

  contact(name: string, id: string): void {
    for (const s of this.services) s.contact(name, id)
  }

  /** A room with every account and these members (contact ids), in every service. */
  room(topic: string, id: string, memberIds: string[]): void {
    const accounts = this.services.map((s) => s.botUser.id)
    for (const s of this.services) s.mocker.createRoom({ id, topic, memberIdList: [...accounts, ...memberIds] })
  }

  /** A member speaks in a room: every logged-in account gets it. */
  say(contactId: string, text: string, roomId: string): void {
    for (const s of this.services) {
      if (!s.puppet.isLoggedIn) continue
      s.mocker.ContactMock.load(contactId).say(text).to(s.mocker.RoomMock.load(roomId))
    }
  }

  /** The room as one service has it (for its recorder: `svc.textsIn(room)`). */
  roomIn(s: PuppetService, roomId: string): mock.RoomMock {
    return s.mocker.RoomMock.load(roomId)
  }
}
