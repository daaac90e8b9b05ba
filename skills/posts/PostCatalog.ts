import type { GroupContext } from '../../src/engine/Skill.js'
import type { Namespace } from '../../src/store/Store.js'
import { segment } from '../../src/store/Store.js'
import { AfterSchema, sendTemplate, type PostDef, type PostsSettings } from './config.js'
import { parseWhen } from './when.js'

/**
 * A post made in the console (CONTRACT §10), as stored with the state
 * (`posts/pool:console/posts/<id>`): for several groups at once, in the YAML's own words, so
 * the API shows it back as written and it is parsed by the same code as the config's.
 */
export interface StoredPost {
  id: string
  groups: string[]
  when?: string
  after?: { joined: string; at: string }
  send: Array<string | { media: string }>
  skip: string[]
  createdAt: number
  updatedAt: number
  by: string
}

/** What the skill keeps of each post of a group (`state/<id>`): where its schedule stands. */
export interface PostState {
  /** Occurrences before this instant are handled (sent, skipped or missed). */
  from: number
  /** The schedule this `from` belongs to: a changed one starts again from now. */
  sig: string
}

export type PostsCtx = GroupContext<PostsSettings, PostsMemory>

/** In memory per group: the deliveries this process queued (see src/engine/Deliveries.ts). */
export class PostsMemory {
  readonly inFlight = new Set<string>()
}

/** The slice shared by every group: console posts (`posts/pool:console/`). */
export function consoleSlice(ctx: Pick<GroupContext<unknown, unknown>, 'pool'>): Namespace {
  return ctx.pool('console')
}

/** A console post as a PostDef (undefined when what is stored no longer parses). */
export function fromStored(p: StoredPost): PostDef | undefined {
  const when = p.when === undefined ? undefined : parseWhen(p.when)
  if (when && 'error' in when) return undefined
  const after = p.after === undefined ? undefined : AfterSchema.safeParse(p.after)
  if (after && !after.success) return undefined
  return {
    id: p.id,
    source: 'console',
    ...(when ? { when } : {}),
    ...(after?.data ? { after: after.data } : {}),
    send: sendTemplate(p.send),
    sendItems: p.send,
    skip: new Set(p.skip),
  }
}

/** The posts of one group: the config's, then the console's for this group. */
export class PostCatalog {
  constructor(private readonly ctx: PostsCtx) {}

  all(): PostDef[] {
    const config = this.ctx.config.posts
    const ids = new Set(config.map((p) => p.id))
    const fromConsole = storedPosts(consoleSlice(this.ctx))
      .filter((p) => p.groups.includes(this.ctx.group.name) && !ids.has(p.id))
      .flatMap((p) => {
        const def = fromStored(p)
        if (!def) this.ctx.log.warn({ post: p.id }, 'a console post no longer parses; not scheduled')
        return def ? [def] : []
      })
    return [...config, ...fromConsole]
  }

  byId(id: string): PostDef | undefined {
    return this.all().find((p) => p.id === id)
  }

  state(id: string): PostState | undefined {
    return this.ctx.store.get<PostState>(`state/${segment(id)}`)
  }

  setState(id: string, st: PostState): void {
    this.ctx.store.set(`state/${segment(id)}`, st)
  }

  forgetState(id: string): void {
    this.ctx.store.delete(`state/${segment(id)}`)
  }

  /** Occurrence keys `#post skip` took out (`skips/<id>`). */
  skips(id: string): Set<string> {
    return new Set(this.ctx.store.get<string[]>(`skips/${segment(id)}`) ?? [])
  }

  addSkip(id: string, key: string): void {
    const keys = [...this.skips(id), key].sort()
    this.ctx.store.set(`skips/${segment(id)}`, keys)
  }

  /** Skips of occurrences already past: forgotten (the sweep). */
  pruneSkips(before: string): void {
    for (const [k, keys] of this.ctx.store.entries<string[]>('skips/')) {
      const left = keys.filter((key) => key >= before)
      if (left.length === keys.length) continue
      if (left.length === 0) this.ctx.store.delete(k)
      else this.ctx.store.set(k, left)
    }
  }
}

/** Every console post (the API lists them all; groups filter their own). */
export function storedPosts(slice: Namespace): StoredPost[] {
  return slice.entries<StoredPost>('posts/').map(([, p]) => p)
}
