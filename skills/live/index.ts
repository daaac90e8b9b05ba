import { defineSkill, type MessageContext } from '../../src/engine/Skill.js'
import { ZonedTime } from '../../src/time/ZonedTime.js'
import { liveCommand } from './commands.js'
import { liveConfig, type LiveConfig } from './config.js'
import { livesSection } from './console/index.js'
import { LiveMemory } from './context.js'
import { Deliveries } from './Deliveries.js'
import { LiveCatalog } from './LiveCatalog.js'
import { onSlotDue, pruneOld, syncSchedule } from './LiveSchedule.js'
import { Subscriptions } from './Subscriptions.js'
import { shortDuration, upcomingList } from './texts.js'

/**
 * live — livestream previews, reminders and subscriptions (直播预告). A live belongs to a
 * config group: its reminders and start message go to every room of the group the bot is
 * in; members subscribe in their room and are @-ed there at the start. Lives come from the
 * config and from `#live add`; each reminder is sent at most once per room, also across
 * restarts and reloads (see Deliveries.ts for the states, LiveSchedule.ts for the timing).
 */
export const LiveSkill = defineSkill<LiveConfig, LiveMemory>({
  name: 'live',
  description: 'livestream previews, reminders before the start, and @ of subscribers at the start',
  config: liveConfig,
  memory: () => new LiveMemory(),

  check(config, report, env) {
    const time = new ZonedTime(env.timezone)
    const seen = new Map<string, number>()
    config.lives.forEach((l, i) => {
      const first = seen.get(l.id)
      if (first !== undefined) report.error(['lives', i, 'id'], `live id "${l.id}" is already used by live ${first + 1} of this group; ids must be unique`)
      else seen.set(l.id, i)
      if (l.start <= env.now) {
        report.warn(['lives', i, 'start'], `live "${l.id}" starts at ${time.formatLocal(l.start)} (${env.timezone}), which is in the past: nothing will be sent for it`)
      }
    })
  },

  summary(config, env) {
    const time = new ZonedTime(env.timezone)
    const reminders = config.remind.length > 0 ? `reminders ${config.remind.map(shortDuration).join(', ')} before` : 'no reminders'
    const upcoming = config.lives.filter((l) => l.start > env.now).sort((a, b) => a.start - b.start)
    if (upcoming.length === 0) return [`no upcoming lives in the config (${reminders}; admins add some with #live add)`]
    return upcoming.map((l) => `upcoming ${l.id}: ${time.formatLocal(l.start)} ${l.title} (${reminders})`)
  },

  calendar(config, _env, from, to, ctx) {
    const lives = ctx ? new LiveCatalog(ctx).active() : config.lives.map((l) => ({ id: l.id, title: l.title, start: l.start, source: 'config' as const }))
    return lives.filter((l) => l.start >= from && l.start < to).map((l) => ({ at: l.start, kind: 'live' as const, id: l.id, title: l.title, source: l.source }))
  },

  onStart(ctx) {
    syncSchedule(ctx)
    // after a restart: texts the last process queued but never handed over (a no-op on reload)
    new Deliveries(ctx).resume((ref) => new LiveCatalog(ctx).byRef(ref))
  },

  takes: (c, text) => c.subscribeTriggers.includes(text) || c.listTriggers.includes(text),

  onMessage(ctx) {
    const text = ctx.message.text
    if (ctx.config.subscribeTriggers.includes(text)) return subscribe(ctx)
    if (ctx.config.listTriggers.includes(text)) {
      // one list per room while it waits, @-ing everyone who asked for it
      void ctx.say(upcomingList(ctx, new LiveCatalog(ctx).upcoming(ctx.clock.now())), {
        mergeable: false,
        kind: 'info',
        coalesce: { key: 'live:list', asker: ctx.talker },
      })
      return true
    }
    return false
  },

  commands: { live: liveCommand },
  /** 直播 Lives in the console: lives across groups, add to several at once, cancel (console/). */
  console: livesSection,

  onJob(ctx) {
    onSlotDue(ctx)
  },

  sweep(ctx) {
    // a bot that runs for months without a reload still forgets lives of a month ago
    pruneOld(ctx, ctx.clock.now())
  },

  // the member's data rights (CONTRACT §11): their subscriptions
  forgetMember(ctx, contactId) {
    new Subscriptions(ctx.store).forgetMember(contactId)
  },

  exportMember(ctx, contactId) {
    const subs = new Subscriptions(ctx.store).ofMember(contactId)
    return subs.length > 0 ? { subscriptions: subs } : undefined
  },

  memberTimeline(ctx, contactId) {
    return new Subscriptions(ctx.store).ofMember(contactId).map((s) => ({ at: s.at, kind: 'subscribe', detail: `预约直播 ${s.ref}` }))
  },
})

/** Subscribe the talker to the group's next live, in this room; stored before the reply. */
function subscribe(ctx: MessageContext<LiveConfig, LiveMemory>): true {
  const now = ctx.clock.now()
  const next = new LiveCatalog(ctx).upcoming(now)[0]
  if (!next) {
    void ctx.say(ctx.render(ctx.config.noLiveReply, {}), { kind: 'info', coalesce: { key: 'live:none', asker: ctx.talker } })
    return true
  }
  const added = new Subscriptions(ctx.store).add(next.ref, ctx.room.id, ctx.talker, now)
  if (added) ctx.log.debug({ live: next.id, member: ctx.talker.id, room: ctx.room.id }, 'subscribed')
  const template = added ? ctx.config.subscribeReply : ctx.config.alreadySubscribedReply
  const text = ctx.render(template, { name: ctx.talker.name, title: next.title, start: ctx.time.format(next.start) })
  // a new subscription is owed its confirmation; "already subscribed" is informational
  void ctx.say(text, added ? { kind: 'owed' } : { kind: 'info', coalesce: { key: `live:subscribed:${ctx.talker.id}` } })
  return true
}
