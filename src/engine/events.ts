import type { IncomingText, Member, RoomRef } from './Skill.js'

/* What the runtime hands the engine (src/runtime/WechatyRuntime.ts, AccountRouter.ts). */

/** A private text from a contact, as the runtime hands it over. */
export interface DirectEvent {
  contact: Member
  message: IncomingText
  /** The account that received it (many accounts: src/runtime/AccountRouter.ts), Koishi's selfId. */
  account?: string
}

/** A friend request (type Receive), as the runtime hands it over. */
export interface FriendshipEvent {
  friendshipId: string
  contact: Member
  hello: string
  /** The account that received it (many accounts: src/runtime/AccountRouter.ts), Koishi's selfId. */
  account?: string
}

/** A text message in a room, as the runtime hands it over. */
export interface MessageEvent {
  room: RoomRef
  talker: Member
  message: IncomingText
  /** The account that received it (many accounts: src/runtime/AccountRouter.ts), Koishi's selfId. */
  account?: string
}

export interface MembersEvent {
  room: RoomRef
  members: Member[]
  memberCount: number
  /** join: the room-join inviter, when a member added them; leave: who removed them. */
  by?: string
  /** The bot's own account added (join) or removed (leave) them. */
  byBot?: boolean
  /** Not announced by the puppet: found by comparing the room's member list, in [from, now]. */
  found?: { from?: number }
  /** The account that received it (many accounts: src/runtime/AccountRouter.ts), Koishi's selfId. */
  account?: string
}
