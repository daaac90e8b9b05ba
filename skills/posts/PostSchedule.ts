import { DateTime } from 'luxon'
import { MAX_LATE_MS } from '../../src/engine/Deliveries.js'
import type { Job } from '../../src/engine/jobs.js'
import type { JobContext, Member, RoomRef } from '../../src/engine/Skill.js'
import type { MediaKind } from '../../src/config/mediaSchema.js'
import { mediaOf } from '../../src/text/template.js'
import type { PostDef } from './config.js'
import { PostCatalog, type PostsCtx, type PostsMemory } from './PostCatalog.js'
import type { PostsSettings } from './config.js'
import { postDeliveries } from './PostDeliveries.js'
import { nextAt, occurrenceKey } from './when.js'

/**
 * When each post goes out: one durable job per occurrence (`core/jobs/posts/<group>/<post>@<local time>`),
 * planned from where the post's schedule stands (`state/<post>`: occurrences before `from` are
 * handled). A job falls due → the occurrence is handled: sent to every room of the group
 * (src/engine/Deliveries.ts: exactly once per room, across restarts, kill -9 and a takeover),
 * held by quiet hours until their end, or — more than 10 minutes late because the bot was
 * down — skipped, with a line per room in the delivery log. Then the next one is planned.
 */

/** A post's job: which post, which occurrence, and when it is meant to go out. */
export interface PostJob {
  type: 'occurrence' | 'deferred'
  post: string
  /** The occurrence's time (its id in the log), and when it is due now (a quiet-hours hold moves this). */
  at: number
  due: number
  /** `deferred`: the one room that waits for tomorrow's media budget, and how many days it waited. */
  room?: string
  days?: number
}

/** How many days a room's post may wait for the media budget before it is skipped. */
export const MAX_DEFER_DAYS = 3

function signature(p: PostDef): string {
  return JSON.stringify({ when: p.when?.source, after: p.after?.source, skip: [...p.skip].sort() })
}

/** The post's occurrences as times: its schedule, or `after: joined`'s daily time. */
export function nextOccurrence(ctx: PostsCtx, p: PostDef, from: number): number | undefined {
  const zone = ctx.bot.timezone
  const skips = new PostCatalog(ctx).skips(p.id)
  if (p.when) return nextAt(p.when, zone, from, p.skip, skips)
  const a = p.after!
  return nextAt({ kind: 'days', weekdays: new Set([1, 2, 3, 4, 5, 6, 7]), hour: a.hour, minute: a.minute, source: '' }, zone, from, p.skip, skips)
}

export function slotOf(postId: string, at: number, zone: string): string {
  return `${postId}@${occurrenceKey(at, zone)}`
}

/**
 * Make the planned jobs match the posts: plan each post's next occurrence, re-plan one whose
 * schedule changed (it counts from now), cancel the jobs of posts that are gone. An unchanged
 * post keeps its job, whatever its state: that is what keeps a reload from sending twice.
 */
export function syncPosts(ctx: PostsCtx): void {
  const catalog = new PostCatalog(ctx)
  const posts = catalog.all()
  const wanted = new Set<string>()
  for (const p of posts) {
    const id = planPost(ctx, p)
    if (id) wanted.add(id)
  }
  const ids = new Set(posts.map((p) => p.id))
  for (const job of ctx.jobs.list()) {
    const data = job.data as PostJob | null
    if (job.state !== 'planned' || !data) continue
    if (data.type === 'deferred' ? ids.has(data.post) : wanted.has(job.id)) continue
    ctx.jobs.cancel(job.id)
    ctx.log.info({ job: job.id }, 'post occurrence cancelled (post removed, its schedule changed, or skipped)')
  }
  for (const [k] of ctx.store.entries('state/')) {
    if (!ids.has(k.slice('state/'.length))) ctx.store.delete(k)
  }
}

/** Plan one post's next occurrence; returns its job id (undefined: none left, a one-off done). */
export function planPost(ctx: PostsCtx, p: PostDef): string | undefined {
  const catalog = new PostCatalog(ctx)
  const now = ctx.clock.now()
  const sig = signature(p)
  let st = catalog.state(p.id)
  if (!st || st.sig !== sig) {
    // a new post, or a changed schedule: its occurrences count from now (none is "missed")
    st = { from: now, sig }
    catalog.setState(p.id, st)
  }
  const at = nextOccurrence(ctx, p, st.from)
  if (at === undefined) return undefined
  const id = slotOf(p.id, at, ctx.bot.timezone)
  const old = ctx.jobs.get(id)
  // a held occurrence (quiet hours) keeps its later due time
  if (old?.state === 'planned' && (old.data as PostJob | null)?.at === at) return id
  if (old && old.state !== 'cancelled') return id
  const data: PostJob = { type: 'occurrence', post: p.id, at, due: at }
  ctx.jobs.plan(id, at, data as never, { maxLateMs: Number.MAX_SAFE_INTEGER })
  ctx.log.debug({ post: p.id, at: new Date(at).toISOString() }, 'post planned')
  return id
}

/** A post's job fell due. */
export function onPostDue(ctx: JobContext<PostsSettings, PostsMemory>): void {
  const job = ctx.job
  const data = job.data as unknown as PostJob
  const catalog = new PostCatalog(ctx)
  const post = catalog.byId(data.post)
  const log = ctx.log.child({ post: data.post, job: job.id })
  if (!post) {
    log.info('the post is gone; not sent')
    return
  }
  const now = ctx.clock.now()
  const zone = ctx.bot.timezone
  if (data.type === 'occurrence') {
    // this occurrence is handled from here on, whatever happens below
    const st = catalog.state(post.id)
    if (st && st.from <= data.at) catalog.setState(post.id, { ...st, from: data.at + 1 })
  }
  const rooms = ctx.rooms().filter((r) => data.room === undefined || r.id === data.room)
  const fields = (room: RoomRef) => ({ slot: job.id, room: room.id, due: data.due, post: post.id, occ: occurrenceKey(data.at, zone) })

  const late = now - data.due
  if (late > MAX_LATE_MS) {
    // the bot was down: this one, and any other that fell since, are not sent late
    let missed = 1
    let last = data.at
    if (data.type === 'occurrence') {
      for (let n = nextOccurrence(ctx, post, data.at + 1); n !== undefined && n < now - MAX_LATE_MS && missed < 10_000; n = nextOccurrence(ctx, post, n + 1)) {
        missed++
        last = n
      }
      const st = catalog.state(post.id)
      if (st) catalog.setState(post.id, { ...st, from: Math.max(st.from, last + 1) })
    }
    const why = `not sent: the bot was down; ${Math.round(late / 60_000)} minutes late (at most 10)${missed > 1 ? `, ${missed} occurrences missed` : ''}`
    for (const room of rooms) postDeliveries(ctx).record(fields(room), why)
    log.warn({ lateMs: late, missed, rooms: rooms.length }, 'a post fell due while the bot was down and is too late now; skipped')
    planPost(ctx, post)
    return
  }

  const quiet = ctx.bot.quietHours
  if (quiet && ctx.time.inWindow(now, quiet)) {
    const end = ctx.time.windowEnd(now, quiet)
    const next = data.type === 'occurrence' ? nextOccurrence(ctx, post, data.at + 1) : undefined
    if (next !== undefined && end >= next) {
      for (const room of rooms) postDeliveries(ctx).record(fields(room), `not sent: quiet hours (${quiet.source}) last until its next time`)
      log.info({ quietHours: quiet.source }, 'quiet hours last until the post’s next time; skipped')
    } else {
      ctx.jobs.plan(job.id, end, { ...data, due: end } as never, { maxLateMs: Number.MAX_SAFE_INTEGER })
      log.info({ quietHours: quiet.source, until: new Date(end).toISOString() }, 'post held by quiet hours')
      return
    }
    if (data.type === 'occurrence') planPost(ctx, post)
    return
  }

  // jobs run only once the rooms are known (the engine holds them until the login)
  if (rooms.length === 0) log.warn('the bot is in no room of this group; the post is not sent')
  else dispatch(ctx, post, job.id, data, rooms)
  if (data.type === 'occurrence') planPost(ctx, post)
}

/** `#post now` and the console's send-now: once, now, to every room, outside the schedule. */
export function sendNow(ctx: PostsCtx, post: PostDef, by: string): { slot: string; rooms: number } {
  const now = ctx.clock.now()
  const slot = `${post.id}@now-${now}`
  const rooms = ctx.rooms()
  ctx.log.info({ post: post.id, by, rooms: rooms.length }, 'post sent now')
  dispatch(ctx, post, slot, { type: 'occurrence', post: post.id, at: now, due: now }, rooms)
  return { slot, rooms: rooms.length }
}

function dispatch(ctx: PostsCtx, post: PostDef, slot: string, data: PostJob, rooms: RoomRef[]): void {
  const deliveries = postDeliveries(ctx)
  const occ = occurrenceKey(data.at, ctx.bot.timezone)
  const joined = post.after ? joinedBefore(ctx, post, data.at) : undefined
  for (const room of rooms) {
    const fields = { slot, room: room.id, due: data.due, post: post.id, occ }
    let extra: { mentions?: Member[]; points?: number } = {}
    if (joined) {
      const members = joined.get(room.id) ?? []
      if (members.length === 0) continue // nobody in this room joined that day: nothing to say
      const points = ctx.points()
      extra = { mentions: members, points: Math.min(...members.map((m) => points.get(m.id)?.total ?? 0)) }
    }
    const short = mediaShort(ctx, post, room.id)
    if (short) {
      defer(ctx, post, data, room, fields, short)
      continue
    }
    deliveries.dispatch({ ...fields, ...extra })
  }
}

/** Members who joined `post.after.days` calendar days before the occurrence's day, per room. */
function joinedBefore(ctx: PostsCtx, post: PostDef, at: number): Map<string, Member[]> {
  const day = DateTime.fromMillis(at, { zone: ctx.bot.timezone }).startOf('day').minus({ days: post.after!.days })
  const out = new Map<string, Member[]>()
  for (const m of ctx.roster.joinedBetween(ctx.group.name, day.toMillis(), day.plus({ days: 1 }).toMillis())) {
    const list = out.get(m.roomId) ?? []
    if (!list.some((x) => x.id === m.id)) list.push({ id: m.id, name: m.name })
    out.set(m.roomId, list)
  }
  return out
}

/** A kind of media this post needs more of than the room's account may still send today. */
function mediaShort(ctx: PostsCtx, post: PostDef, roomId: string): MediaKind | undefined {
  const need = new Map<MediaKind, number>()
  for (const name of mediaOf(post.send)) {
    const kind = ctx.media.kindOf(name)
    if (kind) need.set(kind, (need.get(kind) ?? 0) + 1)
  }
  for (const [kind, n] of need) if (ctx.media.left(roomId, kind) < n) return kind
  return undefined
}

/** The room's post waits for tomorrow's media budget (a line in the log says so). */
function defer(ctx: PostsCtx, post: PostDef, data: PostJob, room: RoomRef, fields: { slot: string; room: string; due: number; post: string; occ: string }, kind: MediaKind): void {
  const days = (data.days ?? 0) + 1
  const deliveries = postDeliveries(ctx)
  if (days > MAX_DEFER_DAYS) {
    deliveries.record(fields, `not sent: the account's ${kind} budget (bot.rateLimit.perDay) was spent ${MAX_DEFER_DAYS} days running`)
    ctx.log.warn({ post: post.id, room: room.id, kind }, 'a post waited for the media budget too long; skipped')
    return
  }
  const tomorrow = DateTime.fromMillis(ctx.clock.now(), { zone: ctx.bot.timezone }).plus({ days: 1 }).toMillis()
  const id = `${post.id}@${fields.occ}>${room.id}+${days}d`
  deliveries.record(fields, `waiting: today's ${kind} budget (bot.rateLimit.perDay) is spent; sent tomorrow`)
  const job: PostJob = { type: 'deferred', post: post.id, at: data.at, due: tomorrow, room: room.id, days }
  ctx.jobs.plan(id, tomorrow, job as never, { maxLateMs: Number.MAX_SAFE_INTEGER })
  ctx.log.info({ post: post.id, room: room.id, kind, at: new Date(tomorrow).toISOString() }, 'post waits for tomorrow’s media budget in this room')
}

/** Jobs of this skill for a post (the API's `next`, `#post list`). */
export function plannedJob(ctx: PostsCtx, postId: string): Job | undefined {
  return ctx.jobs
    .list()
    .filter((j) => {
      const d = j.data as unknown as PostJob | null
      return j.state === 'planned' && d?.post === postId && d.type === 'occurrence'
    })
    .sort((a, b) => a.at - b.at)[0]
}
