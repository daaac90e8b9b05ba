import { segment } from '../../src/store/Store.js'
import type { LiveCtx } from './context.js'

/** A live of a group, from the config or from `#live add`, as the rest of the skill sees it. */
export interface Live {
  /** What admins type (`d11`, `a3`). */
  id: string
  source: 'config' | 'command'
  /**
   * This occurrence of the live: jobs, deliveries and subscriptions hang off it. The id,
   * prefixed by the source (a config id and an added id never share records), plus a
   * generation when a live that already took place is given a new start (a weekly live
   * that reuses its id is a new live, with fresh reminders and subscribers).
   */
  ref: string
  title: string
  start: number
  link?: string
  preview?: string
  /** Media items of a config live's preview, sent after its reminders and start message. */
  previewMedia?: string[]
}

/** A live added in chat (`added/<id>`). */
interface AddedLive {
  id: string
  title: string
  start: number
  link?: string
  /** The product list (added from the console/API; `#live add` has none). */
  preview?: string
  by: string
  at: number
  cancelled?: { by: string; at: number }
}

/** What the store remembers of each live (`state/<key>`): its occurrence and a cancellation. */
interface LiveState {
  gen: number
  start: number
  title: string
  /** A config live stays cancelled only while the config keeps this start and title. */
  cancelled?: { by: string; at: number; start: number; title: string }
}

interface Definition {
  key: string
  id: string
  source: Live['source']
  title: string
  start: number
  link?: string
  preview?: string
  previewMedia?: string[]
  cancelledForGood?: boolean
}

/**
 * The lives of one group: the config's `lives` plus the ones admins added, minus the
 * cancelled ones. Reads and writes `ctx.store` synchronously.
 */
export class LiveCatalog {
  constructor(private readonly ctx: LiveCtx) {}

  /** Active lives (not cancelled), any start. */
  active(): Live[] {
    const out: Live[] = []
    for (const d of this.definitions()) {
      const st = this.state(d.key)
      if (d.cancelledForGood || isCancelled(st, d)) continue
      out.push(this.toLive(d, st?.gen ?? 0))
    }
    return out
  }

  /** Lives that have not started yet, soonest first. */
  upcoming(now: number): Live[] {
    return this.active()
      .filter((l) => l.start > now)
      .sort((a, b) => a.start - b.start || a.id.localeCompare(b.id))
  }

  byRef(ref: string): Live | undefined {
    return this.active().find((l) => l.ref === ref)
  }

  /** By the id an admin typed: exact first, then ignoring case when that is unambiguous. */
  find(id: string): Live | undefined {
    const lives = this.active()
    const exact = lives.find((l) => l.id === id)
    if (exact) return exact
    const loose = lives.filter((l) => l.id.toLowerCase() === id.toLowerCase())
    return loose.length === 1 ? loose[0] : undefined
  }

  /**
   * Bring the stored state up to date with the definitions (at start, reload and after a
   * command) and return the active lives. A live whose stored start has passed and which now
   * has another start is a new occurrence: its generation grows.
   */
  refresh(now: number): Live[] {
    for (const d of this.definitions()) {
      const old = this.state(d.key)
      let next: LiveState
      if (!old) next = { gen: 0, start: d.start, title: d.title }
      else if (old.start !== d.start && old.start <= now) next = { gen: old.gen + 1, start: d.start, title: d.title }
      else next = { ...old, start: d.start, title: d.title }
      if (next.cancelled && !isCancelled(next, d)) delete next.cancelled
      if (!old || old.gen !== next.gen || old.start !== next.start || old.title !== next.title || !!old.cancelled !== !!next.cancelled) {
        this.ctx.store.set(this.stateKey(d.key), next)
        if (old && old.gen !== next.gen) this.ctx.log.info({ live: d.id, start: d.start }, 'a live that took place has a new start: planned as a new live')
      }
    }
    return this.active()
  }

  /**
   * Add a live from `#live add` (or the console/API, which may give the id so that one live
   * added to several groups has the same id in each: see `isTaken`); returns it.
   */
  add(input: { title: string; start: number; link?: string; preview?: string; by: string; now: number; id?: string }): Live {
    const id = input.id ?? this.nextId()
    if (input.id) this.ctx.store.set('seq', Math.max(this.lastSeq, Number(/^a(\d+)$/.exec(input.id)?.[1] ?? 0)))
    const added: AddedLive = {
      id,
      title: input.title,
      start: input.start,
      by: input.by,
      at: input.now,
      ...(input.link ? { link: input.link } : {}),
      ...(input.preview ? { preview: input.preview } : {}),
    }
    this.ctx.store.set(`added/${segment(id)}`, added)
    this.ctx.store.set(this.stateKey(addedKey(id)), { gen: 0, start: input.start, title: input.title } satisfies LiveState)
    return this.toLive({ key: addedKey(id), id, source: 'command', title: added.title, start: added.start, link: added.link, preview: added.preview }, 0)
  }

  /** The number behind the last `a<n>` id handed out here. */
  get lastSeq(): number {
    return this.ctx.store.get<number>('seq') ?? 0
  }

  /** Whether an id is used here: by a config live, or by an added one (cancelled too) the store holds. */
  isTaken(id: string): boolean {
    const lower = id.toLowerCase()
    if (this.ctx.config.lives.some((l) => l.id.toLowerCase() === lower)) return true
    return this.ctx.store.entries<AddedLive>('added/').some(([, a]) => a.id.toLowerCase() === lower)
  }

  cancel(live: Live, by: string, now: number): void {
    if (live.source === 'command') {
      this.ctx.store.update<AddedLive>(`added/${segment(live.id)}`, (a) => (a ? { ...a, cancelled: { by, at: now } } : a))
      return
    }
    const key = configKey(live.id)
    const old = this.state(key) ?? { gen: 0, start: live.start, title: live.title }
    this.ctx.store.set(this.stateKey(key), { ...old, cancelled: { by, at: now, start: live.start, title: live.title } } satisfies LiveState)
  }

  /** Every live added in chat that the store still holds, cancelled ones too (for pruning). */
  storedAdded(): Array<{ id: string; start: number }> {
    return this.ctx.store.entries<AddedLive>('added/').map(([, a]) => ({ id: a.id, start: a.start }))
  }

  /** Forget an added live that took place long ago. */
  forgetAdded(id: string): void {
    this.ctx.store.delete(`added/${segment(id)}`)
    this.ctx.store.delete(this.stateKey(addedKey(id)))
  }

  /** Forget the state of config lives taken out of the config whose (last) start is before `cutoff`. */
  forgetRemovedConfigLives(cutoff: number): void {
    const configured = new Set(this.ctx.config.lives.map((l) => segment(configKey(l.id))))
    for (const [k, st] of this.ctx.store.entries<LiveState>('state/', false)) {
      const key = k.slice('state/'.length)
      if (key.startsWith(segment(configKey(''))) && !configured.has(key) && st.start < cutoff) this.ctx.store.delete(k)
    }
  }

  /** Short ids for added lives: a1, a2, ...; never one the config uses. */
  private nextId(): string {
    const taken = new Set(this.definitions().map((d) => d.id.toLowerCase()))
    let n = this.ctx.store.get<number>('seq') ?? 0
    let id: string
    do id = `a${++n}`
    while (taken.has(id))
    this.ctx.store.set('seq', n)
    return id
  }

  private definitions(): Definition[] {
    const out: Definition[] = this.ctx.config.lives.map((l) => ({
      key: configKey(l.id),
      id: l.id,
      source: 'config' as const,
      title: l.title,
      start: l.start,
      link: l.link,
      preview: l.preview?.text,
      previewMedia: l.preview?.media,
    }))
    const configIds = new Set(out.map((d) => d.id))
    for (const [, a] of this.ctx.store.entries<AddedLive>('added/')) {
      // a config live that took an added live's id wins; the added one is hidden
      if (configIds.has(a.id)) continue
      out.push({ key: addedKey(a.id), id: a.id, source: 'command', title: a.title, start: a.start, link: a.link, preview: a.preview, cancelledForGood: !!a.cancelled })
    }
    return out
  }

  private toLive(d: Definition, gen: number): Live {
    const ref = gen === 0 ? d.key : `${d.key}~${gen}`
    return { id: d.id, source: d.source, ref, title: d.title, start: d.start, ...(d.link ? { link: d.link } : {}), ...(d.preview ? { preview: d.preview } : {}), ...(d.previewMedia ? { previewMedia: d.previewMedia } : {}) }
  }

  private state(key: string): LiveState | undefined {
    return this.ctx.store.get<LiveState>(this.stateKey(key))
  }

  private stateKey(key: string): string {
    return `state/${segment(key)}`
  }
}

function isCancelled(st: LiveState | undefined, d: Definition): boolean {
  return !!st?.cancelled && st.cancelled.start === d.start && st.cancelled.title === d.title
}

const configKey = (id: string): string => `c:${id}`
const addedKey = (id: string): string => `a:${id}`
