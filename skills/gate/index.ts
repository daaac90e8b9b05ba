import { defineSkill } from '../../src/engine/Skill.js'
import { GateConfig } from './config.js'
import { drain, onFriendRequest, type WaitingRequest } from './friends.js'
import { Namespace } from '../../src/store/Store.js'
import { askToJoin, invites, runInvite, type GateMemory } from './join.js'
import { sweepFriends } from './sweep.js'

/**
 * gate — 门槛 (CONTRACT §5): who gets in. Friend requests (brand-wide, `bot.friends`) are
 * accepted by keyword, paced and within `perDay` (the rest wait for tomorrow); a private
 * message with a group's keyword picks a room of that group (fill/balance under capacity,
 * pending invites counted for 24 h), checks `require`, and invites through `room.add` —
 * durably, under `invitesPerHour`, retried with backoff, reported to the admins when it
 * keeps failing. Every accept and invite is an audit line. See skills/gate/README.md.
 */
export const GateSkill = defineSkill<GateConfig, GateMemory>({
  name: 'gate',
  description: 'friend requests by keyword, and a private keyword that invites into a room of the group (门槛)',
  config: GateConfig,
  memory: () => ({}),

  summary(c) {
    const req = [c.require?.points ? `${c.require.points.min} 分` : '', ...(c.require?.tags ?? [])].filter(Boolean).join(' + ')
    return [`私信 ${c.keywords.join('/')} → 进群 (${c.order}, capacity ${c.capacity}${req ? `, require ${req}` : ''})`]
  },

  async onDirect(ctx) {
    if (!ctx.config.keywords.includes(ctx.message.text)) return false
    await askToJoin(ctx)
    return true
  },

  onFriendship(ctx) {
    return onFriendRequest(ctx)
  },

  onBrandJob(ctx) {
    drain(ctx)
  },

  sweepBrand(ctx) {
    const dropped = sweepFriends(ctx)
    if (dropped > 0) ctx.log.debug({ dropped }, 'old friend-request records swept')
  },

  async onJob(ctx) {
    if (ctx.job.id.startsWith('invite:')) await runInvite(ctx)
  },

  onJoin(ctx) {
    const book = invites(ctx)
    for (const m of ctx.members) {
      if (book.clear(m.id)) ctx.log.info({ audit: true, action: 'invite accepted', contact: m.id, room: ctx.room.id }, 'an invited contact joined')
    }
  },

  // the member's data rights (CONTRACT §11): a pending invite, a waiting friend request
  forgetMember(ctx, contactId) {
    invites(ctx).clear(contactId)
    const brand = new Namespace(ctx.store.store, 'gate/brand/')
    for (const [key, req] of brand.entries<WaitingRequest>('waiting/')) if (req.contactId === contactId) brand.delete(key)
  },

  exportMember(ctx, contactId) {
    const pending = invites(ctx).pendingOf(contactId, ctx.clock.now())
    const brand = new Namespace(ctx.store.store, 'gate/brand/')
    const requests = brand.entries<WaitingRequest>('waiting/').map(([, r]) => r).filter((r) => r.contactId === contactId)
    return pending || requests.length > 0 ? { pendingInvite: pending, friendRequests: requests } : undefined
  },
})
