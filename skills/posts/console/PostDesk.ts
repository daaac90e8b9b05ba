import { DateTime } from 'luxon'
import type { GroupConfig } from '../../../src/config/loadConfig.js'
import { ApiError, iso, type ConsoleDeps, type Via } from '../../../src/console/extensions.js'
import { deliveryStatus } from '../../../src/engine/Deliveries.js'
import type { CalendarEntry, Skill } from '../../../src/engine/Skill.js'
import { Namespace, segment } from '../../../src/store/Store.js'
import { PostEntrySchema, type PostDef, type PostsSettings } from '../config.js'
import { fromStored, PostCatalog, storedPosts, type PostsCtx, type PostsMemory, type StoredPost } from '../PostCatalog.js'
import { postDeliveries, postTag } from '../PostDeliveries.js'
import { nextOccurrence, planPost, plannedJob, sendNow, syncPosts, type PostJob } from '../PostSchedule.js'
import { occurrenceKey } from '../when.js'
import type { PostBodyInput } from './schemas.js'

/** One post as the API lists it: a console post (its groups), or a config post (the groups that define it alike). */
interface Entry {
  id: string
  groups: string[]
  source: 'config' | 'console'
  /** Its definition in each group (a console post's is the same in all). */
  defs: Map<string, PostDef>
  stored?: StoredPost
}

/**
 * Posts across groups for the console and the API, through the skill's own catalog and
 * schedule — the code `#post` runs — so a post made here is stored with the state and keeps
 * every guarantee of the YAML's (exactly once per occurrence and room, quiet hours, the
 * delivery log). Every input is checked with the config's own schema before anything is
 * written; a change to several groups is one synchronous step (one store commit).
 */
export class PostDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  list() {
    return this.entries().map((e) => this.shape(e))
  }

  create(body: PostBodyInput, via: Via): { id: string } {
    const stored = this.validate(body)
    const slice = this.slice()
    const configIds = new Set(this.groupsWithPosts().flatMap((g) => (g.skills.get('posts') as PostsSettings).posts.map((p) => p.id)))
    let n = (slice.get<number>('seq') ?? 0) + 1
    while (configIds.has(`c${n}`) || slice.get(this.key(`c${n}`))) n++
    const now = this.deps.clock.now()
    const post: StoredPost = { id: `c${n}`, ...stored, createdAt: now, updatedAt: now, by: via }
    slice.set('seq', n)
    slice.set(this.key(post.id), post)
    for (const g of post.groups) syncPosts(this.ctx(this.group(g, 400)))
    this.deps.log.info({ post: post.id, groups: post.groups, via }, 'post added')
    return { id: post.id }
  }

  update(id: string, body: PostBodyInput, via: Via): { id: string } {
    const entry = this.consoleEntry(id)
    const stored = this.validate(body)
    const post: StoredPost = { ...entry.stored!, ...stored, updatedAt: this.deps.clock.now(), by: via }
    if (!stored.when) delete post.when
    if (!stored.after) delete post.after
    this.slice().set(this.key(post.id), post)
    for (const g of new Set([...entry.stored!.groups, ...post.groups])) {
      const group = this.deps.engine.findGroup(g)
      if (group?.skills.has('posts')) syncPosts(this.ctx(group))
    }
    this.deps.log.info({ post: post.id, groups: post.groups, via }, 'post changed')
    return { id: post.id }
  }

  remove(id: string, via: Via): { id: string } {
    const entry = this.consoleEntry(id)
    this.slice().delete(this.key(entry.id))
    for (const g of entry.stored!.groups) {
      const group = this.deps.engine.findGroup(g)
      if (!group?.skills.has('posts')) continue
      const ctx = this.ctx(group)
      syncPosts(ctx)
      // what still waits in the send queue is taken back, as `#live cancel` does
      ctx.withdraw(postTag(entry.id))
    }
    this.deps.log.info({ post: entry.id, groups: entry.stored!.groups, via }, 'post deleted')
    return { id: entry.id }
  }

  skip(id: string, via: Via) {
    const entry = this.resolve(id)
    const skipped: Array<{ group: string; at: string }> = []
    for (const [g, post] of entry.defs) {
      const ctx = this.ctx(this.group(g, 404))
      const catalog = new PostCatalog(ctx)
      const job = plannedJob(ctx, post.id)
      const at = job ? (job.data as unknown as PostJob).at : nextOccurrence(ctx, post, Math.max(this.deps.clock.now(), catalog.state(post.id)?.from ?? 0))
      if (at === undefined) continue
      catalog.addSkip(post.id, occurrenceKey(at, ctx.bot.timezone))
      if (job) ctx.jobs.cancel(job.id)
      planPost(ctx, post)
      skipped.push({ group: g, at: iso(this.deps, at) })
    }
    if (skipped.length === 0) throw new ApiError(409, `${id} has no next occurrence to skip`)
    this.deps.log.info({ post: id, skipped, via }, 'post occurrence skipped')
    const next = this.shape(this.resolve(id)).next
    return { id, skipped, ...(next ? { next } : {}) }
  }

  now(id: string, via: Via) {
    const entry = this.resolve(id)
    let rooms = 0
    for (const [g, post] of entry.defs) rooms += sendNow(this.ctx(this.group(g, 404)), post, via).rooms
    return { id, groups: [...entry.defs.keys()], rooms }
  }

  deliveries(q: { group?: string; days: number }) {
    const groups = q.group === undefined ? this.groupsWithPosts() : [this.group(q.group, 404)]
    const since = this.deps.clock.now() - q.days * 86_400_000
    const out: Array<{ post: string; group: string; roomId: string; at: string; due: number; status: 'sent' | 'skipped' | 'failed'; reason?: string; occurrence: string; topic?: string }> = []
    for (const g of groups) {
      for (const [, d] of postDeliveries(this.ctx(g)).all()) {
        if (d.due < since) continue
        const s = deliveryStatus(d)
        if (s.status === 'pending') continue
        const topic = this.deps.engine.rooms.get(d.room)?.topic
        out.push({ post: d.post, group: g.name, roomId: d.room, at: iso(this.deps, d.due), due: d.due, status: s.status, ...(s.reason ? { reason: s.reason } : {}), occurrence: d.occ, ...(topic ? { topic } : {}) })
      }
    }
    return out.sort((a, b) => b.due - a.due || a.group.localeCompare(b.group) || a.roomId.localeCompare(b.roomId)).map(({ due: _, ...d }) => d)
  }

  /** Every group's posts and lives (every skill with a calendar) from `from` for `days` days. */
  calendar(q: { from?: string; days: number }) {
    const zone = this.deps.engine.time.zone
    const start = q.from ? DateTime.fromFormat(q.from, 'yyyy-MM-dd', { zone }) : DateTime.fromMillis(this.deps.clock.now(), { zone }).startOf('day')
    if (!start.isValid) throw new ApiError(400, `from ${q.from} is not a date`)
    const from = start.toMillis()
    const to = start.plus({ days: q.days }).toMillis()
    const env = { timezone: zone, now: this.deps.clock.now() }
    const apiIds = this.apiIds()
    const out: Array<CalendarEntry & { group: string }> = []
    for (const group of this.deps.config().groups) {
      for (const [name, config] of group.skills) {
        const skill = this.deps.engine.deps.skills.find((s) => s.name === name) as Skill<unknown, unknown> | undefined
        if (!skill?.calendar) continue
        const ctx = this.deps.engine.groupContext(skill, group, config)
        for (const e of skill.calendar(config, env, from, to, ctx)) {
          out.push({ ...e, group: group.name, ...(e.kind === 'post' ? { id: apiIds.get(`${group.name}\u0000${e.id}`) ?? e.id } : {}) })
        }
      }
    }
    return out.sort((a, b) => a.at - b.at || a.group.localeCompare(b.group)).map((e) => ({ ...e, at: iso(this.deps, e.at) }))
  }

  // ---- inside ---------------------------------------------------------------------------

  private shape(e: Entry) {
    const def = [...e.defs.values()][0]
    let next: number | undefined
    for (const [g, post] of e.defs) {
      const job = plannedJob(this.ctx(this.group(g, 404)), post.id)
      const at = job ? (job.data as unknown as PostJob).at : undefined
      if (at !== undefined && (next === undefined || at < next)) next = at
    }
    const source = e.stored ?? (def ? { when: def.when?.source, after: def.after?.source, send: def.sendItems, skip: [...def.skip] } : undefined)
    return {
      id: e.id,
      groups: e.groups,
      ...(source?.when ? { when: source.when } : {}),
      ...(source?.after ? { after: source.after } : {}),
      ...(next !== undefined ? { next: iso(this.deps, next) } : {}),
      source: e.source,
      send: [...(source?.send ?? [])],
      skip: [...(source?.skip ?? [])].sort(),
    }
  }

  /** The listed posts: console ones by their id, config ones grouped where groups define them alike. */
  private entries(): Entry[] {
    const out: Entry[] = []
    const groups = this.groupsWithPosts()
    for (const stored of storedPosts(this.slice())) {
      const def = fromStored(stored)
      const defs = new Map<string, PostDef>()
      for (const g of stored.groups) {
        const group = groups.find((x) => x.name === g)
        // a config post of the same id in that group wins there (PostCatalog)
        if (group && def && !(group.skills.get('posts') as PostsSettings).posts.some((p) => p.id === stored.id)) defs.set(g, def)
      }
      out.push({ id: stored.id, groups: stored.groups, source: 'console', defs, stored })
    }
    const byKey = new Map<string, Entry>()
    for (const g of groups) {
      for (const p of (g.skills.get('posts') as PostsSettings).posts) {
        const key = JSON.stringify([p.id, p.when?.source, p.after?.source, p.sendItems, [...p.skip].sort()])
        const known = byKey.get(key)
        if (known) {
          known.groups.push(g.name)
          known.defs.set(g.name, p)
        } else byKey.set(key, { id: p.id, groups: [g.name], source: 'config', defs: new Map([[g.name, p]]) })
      }
    }
    const config = [...byKey.values()]
    const uses = new Map<string, number>()
    for (const e of config) uses.set(e.id, (uses.get(e.id) ?? 0) + 1)
    for (const e of config) if (uses.get(e.id)! > 1) e.id = `${e.id}@${e.groups.join(',')}`
    return [...config, ...out]
  }

  /** Group name + a post's id in it → its API id. */
  private apiIds(): Map<string, string> {
    const out = new Map<string, string>()
    for (const e of this.entries()) for (const [g, p] of e.defs) out.set(`${g}\u0000${p.id}`, e.id)
    return out
  }

  private resolve(id: string): Entry {
    const entries = this.entries()
    const found = entries.find((e) => e.id === id)
    if (found && found.defs.size > 0) return found
    // <id>@<group>: one group's post by its own id
    const at = id.lastIndexOf('@')
    if (at > 0) {
      const [postId, g] = [id.slice(0, at), id.slice(at + 1)]
      const group = this.deps.engine.findGroup(g)
      const post = group?.skills.has('posts') ? new PostCatalog(this.ctx(group)).byId(postId) : undefined
      if (post) return { id, groups: [g], source: post.source, defs: new Map([[g, post]]) }
    }
    const same = entries.filter((e) => e.id.startsWith(`${id}@`))
    if (same.length > 0) throw new ApiError(400, `${id} names different posts in several groups: ${same.map((e) => e.id).join(', ')}`)
    if (found) throw new ApiError(409, `${id} is in no group that has the posts skill on`)
    throw new ApiError(404, `no post ${id} (GET /api/posts lists them)`)
  }

  private consoleEntry(id: string): Entry {
    const entry = this.entries().find((e) => e.id === id)
    if (!entry) {
      this.resolve(id) // 404 / 400 as for any id
      throw new ApiError(409, `${id} is a post of the config: change it in the YAML (then #reload)`)
    }
    if (entry.source !== 'console') throw new ApiError(409, `${id} is a post of the config: change it in the YAML (then #reload)`)
    return entry
  }

  /** The body as it will be stored; a 400 naming what is wrong, before anything is written. */
  private validate(body: PostBodyInput): Omit<StoredPost, 'id' | 'createdAt' | 'updatedAt' | 'by'> {
    for (const g of body.groups) this.group(g, 400)
    const parsed = PostEntrySchema.safeParse({ id: 'new', ...(body.when !== undefined ? { when: body.when } : {}), ...(body.after !== undefined ? { after: body.after } : {}), send: body.send, skip: body.skip ?? [] })
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!
      throw new ApiError(400, `${issue.path.length > 0 ? `${issue.path.join('.')}: ` : ''}${issue.message}`)
    }
    const media = this.deps.config().media
    for (const name of parsed.data.sendItems.flatMap((x) => (typeof x === 'string' ? [] : [x.media]))) {
      if (!media.has(name)) throw new ApiError(400, `send: unknown media "${name}"; ${media.size > 0 ? `media: defines ${[...media.keys()].join(', ')}` : 'the config has no media: section'}`)
    }
    const when = parsed.data.when
    if (when?.kind === 'once' && DateTime.fromFormat(when.local, 'yyyy-MM-dd HH:mm', { zone: this.deps.engine.time.zone }).toMillis() <= this.deps.clock.now()) {
      throw new ApiError(400, `when: ${when.local} is in the past`)
    }
    return {
      groups: body.groups,
      ...(when ? { when: when.source } : {}),
      ...(parsed.data.after ? { after: parsed.data.after.source } : {}),
      send: [...parsed.data.sendItems],
      skip: [...parsed.data.skip].sort(),
    }
  }

  private groupsWithPosts(): GroupConfig[] {
    return this.deps.config().groups.filter((g) => g.skills.has('posts'))
  }

  private group(name: string, status: 400 | 404): GroupConfig {
    const group = this.deps.engine.findGroup(name)
    if (!group) throw new ApiError(status, `no group "${name}" in the config`)
    if (!group.skills.has('posts')) throw new ApiError(status, `group "${name}" does not have the posts skill on (add posts: [] under its skills)`)
    return group
  }

  private ctx(group: GroupConfig): PostsCtx {
    const skill = this.deps.engine.deps.skills.find((s) => s.name === 'posts') as Skill<PostsSettings, PostsMemory> | undefined
    if (!skill) throw new ApiError(400, 'this bot has no posts skill')
    return this.deps.engine.groupContext(skill, group, group.skills.get('posts') as PostsSettings)
  }

  /** Console posts: `posts/pool:console/` (what every group's PostCatalog reads). */
  private slice(): Namespace {
    return new Namespace(this.deps.store, 'posts/').child('pool:console')
  }

  private key(id: string): string {
    return `posts/${segment(id)}`
  }
}
