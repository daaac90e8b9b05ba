import { isMatch } from 'matcher'
import { compileOperatorRegex, OperatorRegexError, type OperatorRegex } from '../text/operatorRegex.js'
import { TOPIC_REGEX } from './schema.js'

export interface RoomLike {
  id: string
  topic: string
}

/**
 * Decides whether a room belongs to a group: topic glob, `/regex/flags`, or exact room id.
 * Topic regexes run on the linear-time engine like every operator regex (operatorRegex.ts).
 */
export class RoomMatcher {
  private constructor(
    private readonly globs: string[],
    private readonly regexes: OperatorRegex[],
    private readonly ids: Set<string>,
  ) {}

  /** Compile a group's `match`; throws with the bad topic's index on an invalid regex. */
  static compile(match: { topic?: string[]; ids?: string[] }): RoomMatcher {
    const globs: string[] = []
    const regexes: OperatorRegex[] = []
    for (const [i, t] of (match.topic ?? []).entries()) {
      const m = TOPIC_REGEX.exec(t)
      if (!m) {
        globs.push(t)
        continue
      }
      try {
        regexes.push(compileOperatorRegex(m[1]!, m[2]))
      } catch (err) {
        if (!(err instanceof OperatorRegexError)) throw err
        throw new TopicRegexError(i, `${t}: ${err.detail}`)
      }
    }
    return new RoomMatcher(globs, regexes, new Set(match.ids ?? []))
  }

  matches(room: RoomLike): boolean {
    if (this.ids.has(room.id)) return true
    if (this.globs.length > 0 && this.globs.some((g) => isMatch(room.topic, g))) return true
    return this.regexes.some((r) => r.test(room.topic))
  }

  /** Patterns, for the sandbox to make up matching rooms. */
  get patterns(): { globs: readonly string[]; regexes: readonly OperatorRegex[]; ids: readonly string[] } {
    return { globs: this.globs, regexes: this.regexes, ids: [...this.ids] }
  }
}

export class TopicRegexError extends Error {
  constructor(
    readonly index: number,
    detail: string,
  ) {
    super(`invalid topic regex: ${detail}`)
  }
}

/** The first group (in config order) whose match takes the room: first match wins. */
export function findGroup<G extends { matcher: RoomMatcher }>(groups: readonly G[], room: RoomLike): G | undefined {
  return groups.find((g) => g.matcher.matches(room))
}
