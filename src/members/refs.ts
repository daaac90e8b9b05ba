/*
 * A member and a room as everything refers to them (the engine's skill API re-exports both:
 * src/engine/Skill.ts). Here, below the engine, so the member records can name them too.
 */

/** A member as skills see them: contact id (the key for everything) and display name. */
export interface Member {
  id: string
  /** Group alias if set, else WeChat name. Shown to people, never used as a key. */
  name: string
  /** The WeChat name (nickname), when the runtime read it: a name seen (src/members). */
  nick?: string
  /** The room alias (群昵称), when set: a name seen. */
  alias?: string
}

export interface RoomRef {
  id: string
  topic: string
}
