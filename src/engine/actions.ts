import { NotConnectedError } from '../send/notConnected.js'

export { isNotConnected, NotConnectedError } from '../send/notConnected.js'

/**
 * What the bot does to WeChat besides texting: accept a friend request, invite a contact into
 * a room, remove one, and read a room's members. The runtime implements it over the puppet;
 * tests use a recorder. Skills reach it as `ctx.actions`, where every call that changes
 * something goes through the ActionGovernor (jitter and limits: fast accepts, invites and
 * removals get accounts restricted).
 */
export interface PuppetActions {
  /**
   * Accept a friend request. `via.account`: the account that received it (several accounts:
   * only that one can accept it); `via.contactId`: who asked (their private texts then go
   * through that account).
   */
  acceptFriendship(friendshipId: string, via?: AcceptVia): Promise<void>
  /** `room.add(contact)`: on WeChat an invitation the contact may accept (then a room-join). */
  addToRoom(roomId: string, contactId: string): Promise<void>
  /** `room.remove(contact)`: works only when the bot is the room's owner or an admin. */
  removeFromRoom(roomId: string, contactId: string): Promise<void>
  /** Contact ids in the room as WeChat counts them (the bot too). */
  roomMemberIds(roomId: string): Promise<string[]>
  /**
   * Can the account that would do this act right now (logged in, connected, and this process
   * holding the lease)? False: the call would fail with NotConnectedError, so the governor
   * does not spend a turn on it. Absent: assume it can.
   */
  canAct?(action: ActionTarget): boolean
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

export interface AcceptVia {
  account?: string
  contactId?: string
}

/** An action, as `canAct` is asked about it. */
export type ActionTarget = { kind: 'accept'; friendshipId: string; account?: string } | { kind: 'invite' | 'remove'; roomId: string }

/**
 * How long an action that found its account away waits before it is tried again, at the
 * latest: a durable job at this distance survives a restart; an account coming back (a login,
 * a room handed to another account) wakes it at once (JobPlanner's `wakeWhenOnline`).
 */
export const AWAY_RETRY_MS = 60_000

/** Until the runtime is wired (or in a harness without one): every action fails clearly. */
export const NO_ACTIONS: PuppetActions = {
  acceptFriendship: () => Promise.reject(new NotConnectedError('no WeChat connection')),
  addToRoom: () => Promise.reject(new NotConnectedError('no WeChat connection')),
  removeFromRoom: () => Promise.reject(new NotConnectedError('no WeChat connection')),
  roomMemberIds: () => Promise.reject(new NotConnectedError('no WeChat connection')),
  roomMember: () => Promise.reject(new NotConnectedError('no WeChat connection')),
  ownIds: () => [],
  canAct: () => false,
}
