import { defineSkill } from '../../src/engine/Skill.js'
import { JOB_RETAIN_MS } from '../../src/engine/jobs.js'
import { DateTime } from 'luxon'
import { mediaOf } from '../../src/text/template.js'
import { postCommand, preview } from './commands.js'
import { postsSection } from './console/index.js'
import { PostsConfig, type PostDef, type PostsSettings } from './config.js'
import { PostCatalog, PostsMemory } from './PostCatalog.js'
import { postDeliveries } from './PostDeliveries.js'
import { onPostDue, syncPosts } from './PostSchedule.js'
import { localDate, nextAt, occurrencesBetween, occurrenceKey } from './when.js'

/**
 * posts — the group's own schedule (群SOP, CONTRACT §10): texts and media sent to every room
 * of the group on a schedule (`每天 09:00`, `工作日 10:30`, `每月1日 10:00`, a date, a cron) or
 * to the members who joined N days ago (`after: { joined: 3d }`), exactly once per occurrence
 * and room — also across a restart, kill -9 and an account takeover —, never inside quiet
 * hours, through the send queue's `scheduled` lane. Posts come from the config and from the
 * console (stored with the state). Timing: PostSchedule.ts; per room: PostDeliveries.ts.
 */
export const PostsSkill = defineSkill<PostsSettings, PostsMemory>({
  name: 'posts',
  description: 'the group’s own schedule (群SOP): texts and media to every room, exactly once per occurrence',
  config: PostsConfig,
  memory: () => new PostsMemory(),

  check(config, report, env) {
    const seen = new Map<string, number>()
    config.posts.forEach((p, i) => {
      const first = seen.get(p.id)
      if (first !== undefined) report.error([i, 'id'], `post id "${p.id}" is already used by post ${first + 1} of this group; ids must be unique`)
      else seen.set(p.id, i)
      if (p.when?.kind === 'once' && nextAt(p.when, env.timezone, env.now) === undefined) {
        report.warn([i, 'when'], `post "${p.id}" is at ${p.when.local} (${env.timezone}), which is in the past: it will not be sent`)
      }
    })
  },

  summary(config) {
    if (config.posts.length === 0) return ['no posts in the config (the console may add some)']
    return config.posts.map((p) => `post ${p.id}: ${p.when ? p.when.source : `members joined ${p.after!.source.joined} before, at ${p.after!.source.at}`}${p.skip.size > 0 ? `, skipping ${p.skip.size} date(s)` : ''}; ${mediaOf(p.send).length} media item(s)`)
  },

  calendar(config, env, from, to, ctx) {
    const posts: PostDef[] = ctx ? new PostCatalog(ctx).all() : config.posts
    return posts.flatMap((p) => {
      const skipKeys = ctx ? new PostCatalog(ctx).skips(p.id) : new Set<string>()
      const when = p.when ?? { kind: 'days' as const, weekdays: new Set([1, 2, 3, 4, 5, 6, 7]), hour: p.after!.hour, minute: p.after!.minute, source: '' }
      // skipped ones are shown (struck through) so the operator sees the hole in the week
      return occurrencesBetween(when, env.timezone, from, to).map((at) => ({
        at,
        kind: 'post' as const,
        id: p.id,
        title: p.after ? `入群第 ${p.after.days} 天 · ${preview(p)}` : preview(p),
        source: p.source,
        ...(p.skip.has(localDate(at, env.timezone)) || skipKeys.has(occurrenceKey(at, env.timezone)) ? { skipped: true } : {}),
      }))
    })
  },

  onStart(ctx) {
    syncPosts(ctx)
    // after a restart: posts the last process queued but never handed over (a no-op on reload)
    postDeliveries(ctx).resume()
  },

  onJob(ctx) {
    onPostDue(ctx)
  },

  commands: { post: postCommand },

  console: postsSection,

  forgetMember(ctx, contactId) {
    // a post that @-ed them keeps its line in the delivery log, without them
    const deliveries = postDeliveries(ctx)
    for (const [k, d] of deliveries.all()) {
      if (!d.mentions?.some((m) => m.id === contactId)) continue
      ctx.store.set(k, { ...d, mentions: d.mentions.filter((m) => m.id !== contactId) })
    }
  },

  exportMember(ctx, contactId) {
    const posts = postDeliveries(ctx)
      .all()
      .filter(([, d]) => d.mentions?.some((m) => m.id === contactId))
      .map(([, d]) => ({ post: d.post, occurrence: d.occ, room: d.room, at: new Date(d.due).toISOString() }))
    return posts.length > 0 ? { mentionedIn: posts } : undefined
  },

  sweep(ctx) {
    // the delivery log keeps 40 days; skips of past occurrences are forgotten
    const cutoff = ctx.clock.now() - JOB_RETAIN_MS
    const deliveries = postDeliveries(ctx)
    for (const [k, d] of deliveries.all()) if (d.due < cutoff && !d.parts.includes('queued') && !d.parts.includes('sending')) deliveries.forget(k)
    new PostCatalog(ctx).pruneSkips(DateTime.fromMillis(ctx.clock.now(), { zone: ctx.bot.timezone }).toFormat('yyyy-MM-dd HH:mm'))
  },
})
