import { AWAY_RETRY_MS, isNotConnected } from '../../src/engine/actions.js'
import type { BrandContext, FriendshipContext } from '../../src/engine/Skill.js'
import { segment } from '../../src/store/Store.js'
import type { GateMemory } from './join.js'

/** A friend request kept until it is accepted (today, or a later day when today's perDay is spent). */
export interface WaitingRequest {
  friendshipId: string
  contactId: string
  name: string
  at: number
  /** Refusals so far (an account that was away counts none). */
  attempts: number
  /** The account that received it (several accounts): only that one can accept it, also after a restart. */
  account?: string
}

/** Refusals per request before it is given up on (WeChat expires old requests); an account away is no refusal. */
const MAX_ACCEPT_ATTEMPTS = 3
const RETRY_MS = 10 * 60_000

type Ctx = BrandContext<GateMemory>

/**
 * 好友申请, brand-wide (`bot.friends`): a request whose hello text contains a keyword (or
 * any, with `accept: all`) is kept durably in `gate/brand/waiting/` — then accepted while
 * today's `perDay` allows, through the governor, and greeted. What is left waits for
 * midnight (a durable job), not lost. A request seen before (a replay) is one request.
 */
export function onFriendRequest(ctx: FriendshipContext<GateMemory>): boolean {
  const f = ctx.bot.friends
  const who = ctx.contact
  if (f.accept === 'none') {
    ctx.log.info({ contact: who.id }, 'friend request left for people (bot.friends.accept: none)')
    return false
  }
  const hello = ctx.hello.toLowerCase()
  if (f.accept === 'keywords' && !f.keywords.some((k) => hello.includes(k.toLowerCase()))) {
    ctx.log.info({ contact: who.id }, 'friend request without a keyword; left for people')
    return false
  }
  const seenKey = `seen/${segment(ctx.friendshipId)}`
  if (ctx.store.get(seenKey) !== undefined) {
    ctx.log.debug({ contact: who.id, friendship: ctx.friendshipId }, 'friend request seen before; ignored')
    return true
  }
  const now = ctx.clock.now()
  ctx.store.set(seenKey, now)
  const seq = (ctx.store.get<number>('meta/seq') ?? 0) + 1
  ctx.store.set('meta/seq', seq)
  const req: WaitingRequest = { friendshipId: ctx.friendshipId, contactId: who.id, name: who.name, at: now, attempts: 0, ...(ctx.account ? { account: ctx.account } : {}) }
  ctx.store.set(`waiting/${String(seq).padStart(10, '0')}`, req)
  drain(ctx)
  return true
}

/** Accept what today's allowance permits, oldest first; plan the next drain for what is left. */
export function drain(ctx: Ctx): void {
  const f = ctx.bot.friends
  const now = ctx.clock.now()
  const day = ctx.time.dayKey(now)
  const countKey = `accepted/${day}`
  const inFlight = inFlightOf(ctx)
  const waiting = ctx.store.entries<WaitingRequest>('waiting/').filter(([key]) => !inFlight.has(key))
  let accepted = ctx.store.get<number>(countKey) ?? 0
  let taken = 0
  for (const [key, req] of waiting) {
    if (accepted >= f.perDay) break
    // the day's count is taken before the accept goes out: never more than perDay, even in a burst
    accepted++
    taken++
    inFlight.add(key)
    ctx.background('accept friend request', accept(ctx, key, req, countKey))
  }
  ctx.store.set(countKey, accepted)
  const left = waiting.length - taken
  if (left > 0) {
    const at = startOfNextDay(ctx, now)
    ctx.jobs.plan('drain', at, null, { maxLateMs: 7 * 24 * 3600_000 })
    ctx.log.info({ waiting: left, perDay: f.perDay, at: ctx.time.formatLocal(at) }, 'friend requests over today’s limit wait for tomorrow')
  }
}

async function accept(ctx: Ctx, key: string, req: WaitingRequest, countKey: string): Promise<void> {
  try {
    await ctx.actions.acceptFriendship(req.friendshipId, { account: req.account, contactId: req.contactId })
  } catch (err) {
    inFlightOf(ctx).delete(key)
    // not accepted: give the day's slot back; try again later, or give up
    ctx.store.update<number>(countKey, (n) => Math.max(0, (n ?? 1) - 1))
    if (isNotConnected(err)) {
      // its account is logged out or cut off: no refusal, no try spent; again when it is back
      ctx.jobs.plan('away', ctx.clock.now() + AWAY_RETRY_MS, null, { maxLateMs: 7 * 24 * 3600_000, wakeWhenOnline: true })
      ctx.log.info({ contact: req.contactId, account: req.account, reason: (err as Error).message }, 'friend request waits for its account to be back')
      return
    }
    const attempts = req.attempts + 1
    if (attempts >= MAX_ACCEPT_ATTEMPTS) {
      ctx.store.delete(key)
      ctx.log.error({ audit: true, action: 'friend accept failed', err, contact: req.contactId, attempts }, 'friend request could not be accepted; given up')
      return
    }
    ctx.store.set(key, { ...req, attempts })
    ctx.jobs.plan('retry', ctx.clock.now() + RETRY_MS, null, { maxLateMs: 7 * 24 * 3600_000 })
    ctx.log.warn({ err, contact: req.contactId, attempts }, 'friend request accept failed; will retry')
    return
  }
  ctx.store.delete(key)
  inFlightOf(ctx).delete(key)
  ctx.log.info({ audit: true, action: 'friend accept', contact: req.contactId, name: req.name, friendship: req.friendshipId }, 'friend request accepted')
  const greeting = ctx.bot.friends.greeting
  // owed: it tells the new friend the accept (stored above) went through
  if (greeting) await ctx.tell(req.contactId, ctx.render(greeting, { name: req.name }), { kind: 'owed' })
}

/** Requests whose accept is on its way (working memory: after a restart they are simply waiting again). */
function inFlightOf(ctx: Ctx): Set<string> {
  ctx.memory.accepting ??= new Set()
  return ctx.memory.accepting
}

/** Midnight at the start of the next day in bot.timezone (days are 23–25 h long). */
function startOfNextDay(ctx: Ctx, now: number): number {
  const today = ctx.time.parse(`${ctx.time.dayKey(now)} 00:00`) ?? now
  const tomorrow = ctx.time.dayKey(today + 26 * 3600_000)
  return ctx.time.parse(`${tomorrow} 00:00`) ?? today + 24 * 3600_000
}
