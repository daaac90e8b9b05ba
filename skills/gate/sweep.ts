import type { BrandContext } from '../../src/engine/Skill.js'
import { segment } from '../../src/store/Store.js'
import type { WaitingRequest } from './friends.js'
import type { GateMemory } from './join.js'

/**
 * How long a handled friend request's id is remembered (`gate/brand/seen/`). It only has to
 * outlive a replay — the same request delivered again after a reconnect or a restart, which
 * comes within hours — and WeChat itself drops a request unanswered for about a week.
 */
export const SEEN_KEEP_MS = 30 * 24 * 3600_000

/**
 * gate's brand-wide records that are over (Skill.sweepBrand, hourly): request ids seen longer
 * ago than SEEN_KEEP_MS — unless that request still waits for a day's allowance, whose replay
 * must stay one request — and the accept counts of days before yesterday (only today's is
 * read). Returns how many records went.
 */
export function sweepFriends(ctx: BrandContext<GateMemory>): number {
  const now = ctx.clock.now()
  const waiting = new Set(ctx.store.entries<WaitingRequest>('waiting/', false).map(([, r]) => segment(r.friendshipId)))
  let dropped = 0
  for (const [key, at] of ctx.store.entries<number>('seen/', false)) {
    if (now - at <= SEEN_KEEP_MS || waiting.has(key.slice('seen/'.length))) continue
    ctx.store.delete(key)
    dropped++
  }
  const yesterday = ctx.time.dayKey(now - 24 * 3600_000)
  for (const key of ctx.store.keys('accepted/', false)) {
    if (key.slice('accepted/'.length) >= yesterday) continue
    ctx.store.delete(key)
    dropped++
  }
  return dropped
}
