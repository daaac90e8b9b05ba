import type { Logger } from 'pino'
import type { AiClient } from '../ai/AiClient.js'
import type { Clock } from '../clock/Clock.js'
import type { BotSettings } from '../config/schema.js'
import type { OutgoingQueue } from '../send/SendQueue.js'
import type { SendKind } from '../send/Item.js'
import { Namespace, type Store } from '../store/Store.js'
import { isMultipart, toMessages, toSegments, type Mention, type OutgoingMessage, type Sayable, type Segment } from '../text/Outgoing.js'
import type { MediaKind } from '../config/mediaSchema.js'
import type { EnqueueOptions } from '../send/SendQueue.js'
import { render, type Template, type TemplateValue } from '../text/template.js'
import type { ZonedTime } from '../time/ZonedTime.js'
import type { Job, JobPlanner } from './jobs.js'
import { PointsBook } from '../members/PointsBook.js'
import type { TagBook } from '../members/TagBook.js'
import type { MemberPoints } from '../members/PointsBook.js'
import type { PuppetActions } from './actions.js'
import type { MemberDirectory } from '../members/MemberDirectory.js'
import type {
  CommandContext,
  IncomingText,
  JobContext,
  Member,
  MembersContext,
  MessageContext,
  PointsChange,
  MediaDesk,
  RoomRef,
  SendOptions,
  StatCounter,
} from './Skill.js'

/** What stays the same for one skill in one group across events: made once, reused. */
export interface SkillScope<M> {
  skill: string
  group: string
  log: Logger
  store: Namespace
  skillRoot: Namespace
  jobs: JobPlanner
  memory: M
}

/** What the engine lends every context. */
export interface ContextDeps {
  bot: BotSettings
  clock: Clock
  time: ZonedTime
  store: Store
  /** One SendQueue, or the AccountRouter's per-account queues (src/runtime/AccountRouter.ts). */
  queue: OutgoingQueue
  ai: AiClient | undefined
  rooms: (group: string) => RoomRef[]
  count: (group: string, roomId: string, counter: StatCounter, n: number) => void
  /** A group's point pool (its checkin pool, or its name). */
  pointsPool: (group: string) => string
  tags: TagBook
  /** The member record (src/members/MemberBook.ts). */
  roster: MemberDirectory
  background: (p: Promise<unknown>) => void
  /** The puppet's actions, paced by the governor. */
  actions: PuppetActions
  /** Points of a member changed (rule tags follow). */
  pointsChanged: (pool: string, memberId: string, row: MemberPoints) => void
  /** A skill of the group keeps the contact out (Skill.keepsOut). */
  keptOut: (group: string, contactId: string) => { skill: string; why: string } | undefined
  /** Another skill of the group (or the commands) takes the text (Skill.takes). */
  takenBy: (group: string, asking: string, text: string) => string | undefined
  /** The kind of an item of `media:` (undefined: no such item in the config now). */
  mediaKind: (name: string) => MediaKind | undefined
  /** A skill's text went out (the member record notes the last bot message per room). */
  said: (conversationId: string, skill: string, kind: SendKind, segments: readonly Segment[]) => void
}

/**
 * The context a handler gets. One class for every kind of event (a plain object per call was
 * measurably slower: contexts are made for every skill on every message); the engine hands it
 * out typed as the interface of the event at hand.
 */
export class SkillContext<C, M = unknown>
  implements MessageContext<C, M>, MembersContext<C, M>, JobContext<C, M>, Omit<CommandContext<C, M>, 'args' | 'rest' | 'usage'>
{
  room!: RoomRef
  talker!: Member
  message!: IncomingText
  members!: readonly Member[]
  memberCount!: number
  found?: { from?: number }
  job!: Job
  /** Private messages and friend requests: who. */
  contact!: Member
  friendshipId!: string
  hello!: string
  /** A friend request: the account that received it. */
  account?: string
  change!: PointsChange

  constructor(
    private readonly scope: SkillScope<M>,
    readonly config: C,
    private readonly deps: ContextDeps,
  ) {}

  get skill(): string {
    return this.scope.skill
  }
  get group(): { name: string } {
    return { name: this.scope.group }
  }
  get memory(): M {
    return this.scope.memory
  }
  get log(): Logger {
    return this.scope.log
  }
  get store(): Namespace {
    return this.scope.store
  }
  get jobs(): JobPlanner {
    return this.scope.jobs
  }
  get bot(): BotSettings {
    return this.deps.bot
  }
  get clock(): Clock {
    return this.deps.clock
  }
  get time(): ZonedTime {
    return this.deps.time
  }
  get ai(): AiClient | undefined {
    return this.deps.ai
  }
  get actions(): PuppetActions {
    return this.deps.actions
  }

  pool(name: string): Namespace {
    return this.scope.skillRoot.child(`pool:${name}`)
  }

  get pointsPool(): string {
    return this.deps.pointsPool(this.scope.group)
  }

  points(pool = this.pointsPool): PointsBook {
    const changed = this.deps.pointsChanged
    // one book per engine and pool, made once: a check-in or an activity point asks for it every time
    let books = booksByEngine.get(changed)
    if (!books) booksByEngine.set(changed, (books = new Map()))
    let book = books.get(pool)
    if (!book || book.store !== this.deps.store) books.set(pool, (book = pointsBook(this.deps.store, pool, (memberId, row) => changed(pool, memberId, row))))
    return book
  }

  get tags(): TagBook {
    return this.deps.tags
  }

  get roster(): MemberDirectory {
    return this.deps.roster
  }

  rooms(): RoomRef[] {
    return this.deps.rooms(this.scope.group)
  }

  keptOut(contactId: string): { skill: string; why: string } | undefined {
    return this.deps.keptOut(this.scope.group, contactId)
  }

  takenBy(text: string): string | undefined {
    return this.deps.takenBy(this.scope.group, this.scope.skill, text)
  }

  sayIn(roomId: string, what: Sayable, options: SendOptions): Promise<void> {
    const tag = options.tag === undefined ? undefined : this.scopedTag(options.tag)
    const segments = toSegments(what)
    const base: EnqueueOptions = { after: this.deps.store.durable(), ...options, tag }
    if (!isMultipart(segments)) return this.enqueue(roomId, segments, base)
    // a reply given as a list (texts and media items): its messages in order, each its own
    // item in the same queue — a media item never merged into a text
    const messages = toMessages(segments)
    return Promise.all(messages.map((m, i) => this.enqueuePart(roomId, m, i, base))).then(() => undefined)
  }

  private enqueuePart(roomId: string, m: OutgoingMessage, i: number, base: EnqueueOptions): Promise<void> {
    // the same reply waiting for the room is the same message list: each part coalesces with its own
    const coalesce = base.coalesce && i > 0 ? { ...base.coalesce, key: `${base.coalesce.key}#${i}` } : base.coalesce
    // (casts: the same options with only the coalescing key changed, or the item a media one)
    const options = { ...base, ...(coalesce ? { coalesce } : {}) } as EnqueueOptions
    if ('text' in m) return this.enqueue(roomId, m.text, options)
    const kind = this.deps.mediaKind(m.media)
    if (!kind) {
      // the config was reloaded without it: nothing to send (never a crash, never a broken card)
      this.scope.log.warn({ room: roomId, media: m.media }, 'a reply names a media item the config no longer has; skipped')
      this.deps.count(this.scope.group, roomId, 'mediaSkipped', 1)
      return Promise.resolve()
    }
    // a media item is its own message whatever the options say (Item)
    return this.enqueue(roomId, [], { ...options, media: { name: m.media, kind } })
  }

  private enqueue(roomId: string, segments: readonly Segment[], options: EnqueueOptions): Promise<void> {
    // the member record notes the last bot message per room (a media item is one too)
    const onSent = (): void => {
      this.deps.said(roomId, this.scope.skill, options.kind, options.media ? [{ media: options.media.name }] : segments)
      options.onSent?.()
    }
    return this.deps.queue.enqueue(roomId, segments, { ...options, onSent }).then((r) => {
      if (options.media && !r.coalesced && (r.fallback || r.cause === 'media')) this.deps.count(this.scope.group, roomId, r.fallback ? 'mediaFallbacks' : 'mediaSkipped', 1)
      if (r.sent) return
      // a reply dropped in a rush is counted (once per reply, not per asker coalesced into it);
      // the queue logs those once per room and minute, and shutdown in one summary line
      if ((r.cause === 'expired' || r.cause === 'full') && !r.coalesced) this.deps.count(this.scope.group, roomId, 'repliesDropped', 1)
      if (r.cause === 'not-stored') {
        this.scope.log.warn({ room: roomId, reason: r.reason }, 'a confirmation was not sent: what it confirms was not stored')
        // the member waited for a confirmation: they hear that it did not take, not nothing
        if ((options.kind ?? 'owed') === 'owed') void this.deps.queue.enqueue(roomId, notStoredNotice(segments), { kind: 'owed' })
      }
    })
  }

  get media(): MediaDesk {
    return {
      kindOf: (name) => this.deps.mediaKind(name),
      left: (roomId, kind) => this.deps.queue.mediaLeft(roomId, kind),
    }
  }

  withdraw(tag: string, group = this.scope.group): number {
    return this.deps.queue.withdraw(this.scopedTag(tag, group))
  }

  /** Tags are this skill's and this group's: one skill cannot withdraw another's texts. */
  private scopedTag(tag: string, group = this.scope.group): string {
    return `${this.scope.skill}/${group}/${tag}`
  }

  say(what: Sayable, options: SendOptions): Promise<void> {
    return this.sayIn(this.room.id, what, options)
  }

  /** Privately: a conversation of its own, with the same kinds (an admin's notes merge when they wait). */
  tell(contactId: string, what: Sayable, options: SendOptions): Promise<void> {
    return this.sayIn(contactId, what, options)
  }

  /** A private message's answer: to the contact, privately. */
  reply(what: Sayable, options: SendOptions): Promise<void> {
    return this.tell(this.contact.id, what, options)
  }

  /** Accept the friend request at hand (paced by the governor). */
  accept(): Promise<void> {
    return this.deps.actions.acceptFriendship(this.friendshipId, { account: this.account, contactId: this.contact.id })
  }

  durable(): Promise<void> {
    return this.deps.store.durable()
  }

  render(t: Template, vars: Readonly<Record<string, TemplateValue | undefined>>): Segment[] {
    return render(t, vars)
  }

  count(counter: StatCounter, n = 1, roomId = this.room?.id ?? ''): void {
    this.deps.count(this.scope.group, roomId, counter, n)
  }

  background(what: string, work: Promise<unknown>): void {
    this.deps.background(work.catch((err: unknown) => this.scope.log.error({ err, what }, 'background work failed')))
  }
}

/** What a member is told instead of a confirmation whose change the store refused. */
export const NOT_STORED_TEXT = '⚠️ 抱歉，刚才的操作没能保存，没有生效，请稍后再试或联系管理员。'

/** The notice, @-ing whoever the withheld confirmation @-ed. */
function notStoredNotice(segments: readonly Segment[]): Segment[] {
  const mentions = new Map<string, Mention>()
  for (const s of segments) if (typeof s !== 'string' && 'mention' in s) mentions.set(s.mention, s)
  return mentions.size === 0 ? [NOT_STORED_TEXT] : [...[...mentions.values()].flatMap((m) => [m, ' ']), NOT_STORED_TEXT]
}

/** The points books of an engine (keyed by its pointsChanged), by pool. */
const booksByEngine = new WeakMap<object, Map<string, PointsBook>>()

/** Points of a pool live where checkin has always kept them: `checkin/pool:<name>/`. */
export function pointsBook(store: Store, pool: string, onChange?: (memberId: string, row: MemberPoints) => void): PointsBook {
  return new PointsBook(new Namespace(store, 'checkin/').child(`pool:${pool}`), onChange)
}
