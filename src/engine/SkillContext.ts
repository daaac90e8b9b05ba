import type { Logger } from 'pino'
import type { AiClient } from '../ai/AiClient.js'
import type { Clock } from '../clock/Clock.js'
import type { BotSettings } from '../config/schema.js'
import type { OutgoingQueue } from '../send/SendQueue.js'
import type { SendKind } from '../send/Item.js'
import { Namespace, type Store } from '../store/Store.js'
import { toSegments, type Sayable, type Segment } from '../text/Outgoing.js'
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
    return pointsBook(this.deps.store, pool, (memberId, row) => changed(pool, memberId, row))
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

  sayIn(roomId: string, what: Sayable, options: SendOptions = {}): Promise<void> {
    const tag = options.tag === undefined ? undefined : this.scopedTag(options.tag)
    const segments = toSegments(what)
    const onSent = (): void => {
      this.deps.said(roomId, this.scope.skill, options.kind ?? 'owed', segments)
      options.onSent?.()
    }
    return this.deps.queue.enqueue(roomId, segments, { after: this.deps.store.durable(), ...options, tag, onSent }).then((r) => {
      if (r.sent) return
      // a reply dropped in a rush is counted (once per reply, not per asker coalesced into it);
      // the queue logs those once per room and minute, and shutdown in one summary line
      if ((r.cause === 'expired' || r.cause === 'full') && !r.coalesced) this.deps.count(this.scope.group, roomId, 'repliesDropped', 1)
      if (r.cause === 'not-stored') this.scope.log.warn({ room: roomId, reason: r.reason }, 'a message was not sent')
    })
  }

  withdraw(tag: string): number {
    return this.deps.queue.withdraw(this.scopedTag(tag))
  }

  /** Tags are this skill's and this group's: one skill cannot withdraw another's texts. */
  private scopedTag(tag: string): string {
    return `${this.scope.skill}/${this.scope.group}/${tag}`
  }

  say(what: Sayable, options?: SendOptions): Promise<void> {
    return this.sayIn(this.room.id, what, options)
  }

  tell(contactId: string, what: Sayable): Promise<void> {
    return this.sayIn(contactId, what, { mergeable: false })
  }

  /** A private message's answer: to the contact, privately. */
  reply(what: Sayable): Promise<void> {
    return this.tell(this.contact.id, what)
  }

  /** Accept the friend request at hand (paced by the governor). */
  accept(): Promise<void> {
    return this.deps.actions.acceptFriendship(this.friendshipId)
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

/** Points of a pool live where checkin has always kept them: `checkin/pool:<name>/`. */
export function pointsBook(store: Store, pool: string, onChange?: (memberId: string, row: MemberPoints) => void): PointsBook {
  return new PointsBook(new Namespace(store, 'checkin/').child(`pool:${pool}`), onChange)
}
