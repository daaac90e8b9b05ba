/**
 * What the bot does to WeChat besides texting: accept a friend request, invite a contact into
 * a room, remove one, and read a room's members. The runtime implements it over the puppet;
 * tests use a recorder. Skills reach it as `ctx.actions`, where every call that changes
 * something goes through the ActionGovernor (jitter and limits: fast accepts, invites and
 * removals get accounts restricted).
 */
export interface PuppetActions {
  acceptFriendship(friendshipId: string): Promise<void>
  /** `room.add(contact)`: on WeChat an invitation the contact may accept (then a room-join). */
  addToRoom(roomId: string, contactId: string): Promise<void>
  /** `room.remove(contact)`: works only when the bot is the room's owner or an admin. */
  removeFromRoom(roomId: string, contactId: string): Promise<void>
  /** Contact ids in the room as WeChat counts them (the bot too). */
  roomMemberIds(roomId: string): Promise<string[]>
  /** One member of a room as the puppet knows them: names, and who invited them when it says. */
  roomMember(roomId: string, contactId: string): Promise<RoomMemberInfo>
  /** The bot's own contact ids (every account logged in): never members of the record. */
  ownIds(): string[]
}

export interface RoomMemberInfo {
  id: string
  /** Room alias first, else the WeChat name, else the id. */
  name: string
  nick?: string
  alias?: string
  /** Who added them, when the puppet knows (pad puppets do for QR-code joins). */
  inviterId?: string
}

/** Until the runtime is wired (or in a harness without one): every action fails clearly. */
export const NO_ACTIONS: PuppetActions = {
  acceptFriendship: () => Promise.reject(new Error('no WeChat connection')),
  addToRoom: () => Promise.reject(new Error('no WeChat connection')),
  removeFromRoom: () => Promise.reject(new Error('no WeChat connection')),
  roomMemberIds: () => Promise.reject(new Error('no WeChat connection')),
  roomMember: () => Promise.reject(new Error('no WeChat connection')),
  ownIds: () => [],
}
