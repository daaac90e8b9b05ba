import type { MemberRow } from './MemberRecord.js'

/** Where a member stands in a group now (see MemberDirectory.membership). */
export interface GroupMembership {
  /** In a room of the group now. */
  in: boolean
  /** The room they are in (or were last in). */
  roomId?: string
  /** Their latest join into a room of the group (absent: already in when the bot first listed the room). */
  joinedAt?: number
  /** Their latest leave (absent: never left). */
  leftAt?: number
  /** Who added them, when a member did (the room-join inviter). */
  inviterId?: string
  /** The gate keyword whose invite brought them in. */
  via?: string
  /** Joins into rooms of the group the bot has seen. */
  joins: number
}

export interface JoinedMember {
  id: string
  name: string
  roomId: string
  joinedAt: number
}

export interface SilentMember {
  id: string
  name: string
  roomId: string
  /** Their last message in the group (absent: never spoke there). */
  lastActive?: number
  joinedAt?: number
}

/**
 * The brand-wide member record as skills read it: `ctx.roster` on every context (named so
 * because `ctx.members` is who joined or left, on join and leave contexts). Written by the
 * engine from events (joins and leaves — also those found by reconciling a room's member
 * list —, names seen, last message, messages per day); see src/members/MemberBook.ts.
 * Reads are synchronous, like every store access.
 */
export interface MemberDirectory {
  /** One member's record (undefined if never seen). */
  get(contactId: string): Readonly<MemberRow> | undefined
  /** Where the member stands in a group now; undefined when never seen in a room of it. */
  membership(contactId: string, group: string): GroupMembership | undefined
  /** Members who joined a room of `group` in [from, to) (epoch ms) and are still in that room. */
  joinedBetween(group: string, from: number, to: number): JoinedMember[]
  /** Members in a room of `group` now whose last message in the group is before `before` (never spoke: joined before it). */
  silentSince(group: string, before: number): SilentMember[]
  /**
   * A gate invite into `group` on the member's request by `via` (the keyword): their next join
   * into a room of the group within a day is recorded as via that keyword. Synchronous: the
   * caller's handler commits it with the invite.
   */
  expectJoin(contactId: string, group: string, via: string): void
}
