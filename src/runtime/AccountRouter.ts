import type { Logger } from 'pino'
import type { Clock, Timer } from '../clock/Clock.js'
import type { AcceptVia, ActionTarget, PuppetActions, RoomMemberInfo } from '../engine/actions.js'
import { Assignees, type AssigneeRecord, type Handover } from '../engine/Assignees.js'
import type { DirectEvent, Engine, FriendshipEvent, MembersEvent, MessageEvent } from '../engine/Engine.js'
import type { RoomRef } from '../engine/Skill.js'
import type { EnqueueOptions, OutgoingQueue, SendQueue, SendResult } from '../send/SendQueue.js'
import type { Segment } from '../text/Outgoing.js'
import type { MediaKind } from '../config/mediaSchema.js'
import { CrossAccountEcho } from './CrossAccountEcho.js'
import type { RuntimeEngine } from './WechatyRuntime.js'

/** One WeChat account as the router sees it: its own send queue (and rate windows) and puppet. */
export interface AccountLine {
  id: string
  queue: SendQueue
  /** Its runtime: what the skills' actions (accept, invite, remove) are done through. */
  actions: PuppetActions
}

export interface AccountRouterOptions {
  /** In the order of `accounts:` (the default preference). */
  accounts: readonly AccountLine[]
  clock: Clock
  log: Logger
  record: AssigneeRecord
  graceMs: number
  /** How often grace periods and stranded texts are looked at (default 1 s). */
  tickMs?: number
}

/**
 * Many accounts, one engine. Each account's runtime hands its events to `sinkFor(account)`;
 * the router lets through only the serving account's events for each room (the others stay
 * silent), so a member's message seen by two accounts is one message. What the skills say goes
 * to the serving account's own queue; when that account is away past the grace period another
 * takes the room over and the texts still waiting in the old queue move to the new one.
 *
 * Private messages: a text to a contact goes through the account that last heard from them
 * (their private message or friend request) while it is online, else the first online account
 * in `accounts:` order (the admins' hand-off notes: every account should be their friend).
 */
export class AccountRouter implements OutgoingQueue, PuppetActions {
  readonly assignees: Assignees
  private engine: Engine | undefined
  private readonly lines = new Map<string, AccountLine>()
  private readonly echo = new CrossAccountEcho(20_000)
  /** Contact → the account that last heard from them privately. */
  private readonly heardBy = new Map<string, string>()
  private readonly friendshipBy = new Map<string, string>()
  private tick: Timer | undefined
  private closed = false

  constructor(private readonly o: AccountRouterOptions) {
    for (const a of o.accounts) this.lines.set(a.id, a)
    this.assignees = new Assignees({
      accounts: o.accounts.map((a) => a.id),
      graceMs: o.graceMs,
      startedAt: o.clock.now(),
      now: () => o.clock.now(),
      record: o.record,
      order: (roomId) => this.order(roomId),
    })
  }

  /** The engine is made after the router (it sends through it): wire it, and start the clock. */
  attach(engine: Engine): void {
    this.engine = engine
    this.scheduleTick()
  }

  get accountIds(): string[] {
    return [...this.lines.keys()]
  }

  /** What one account's runtime hands its events to. */
  sinkFor(account: string): RuntimeEngine {
    const engine = (): Engine => {
      if (!this.engine) throw new Error('AccountRouter used before attach(engine)')
      return this.engine
    }
    const log = this.o.log.child({ account })
    const accepted = (room: RoomRef, what: string): boolean => {
      this.seen(account, room)
      if (this.assignees.accepts(account, room.id)) return true
      log.debug({ room: room.id, serving: this.assignees.assignee(room.id) }, `${what} in a room another account serves; ignored`)
      return false
    }
    return {
      rooms: {
        upsert: (room) => this.seen(account, room),
        groupFor: (room) => engine().rooms.groupFor(room),
        remove: (roomId) => this.left(account, roomId),
      },
      markRoomsReady: () => {
        this.assignees.setOnline(account)
        log.info('account online')
        this.settle()
        engine().markRoomsReady()
      },
      handleMessage: async (ev: MessageEvent) => {
        if (!accepted(ev.room, 'message')) return
        const key = `m\u0000${ev.room.id}\u0000${ev.talker.id}\u0000${ev.message.text}`
        if (!this.echo.first(key, account, ev.message.date, this.o.clock.now())) {
          log.debug({ room: ev.room.id, id: ev.message.id }, 'message already seen by another account; ignored')
          return
        }
        await engine().handleMessage({ ...ev, account })
      },
      noteOther: (room, kind) => {
        if (accepted(room, 'non-text message')) engine().noteOther(room, kind)
      },
      handleJoin: async (ev: MembersEvent) => {
        // a join seen by two accounts is one join: the engine counts a member's join once in 10 min
        if (accepted(ev.room, 'join')) await engine().handleJoin({ ...ev, account })
      },
      handleLeave: async (ev: MembersEvent) => {
        if (!accepted(ev.room, 'leave')) return
        const now = this.o.clock.now()
        const members = ev.members.filter((m) => this.echo.first(`l\u0000${ev.room.id}\u0000${m.id}`, account, now, now))
        if (members.length > 0) await engine().handleLeave({ ...ev, members, account })
      },
      handleDirect: async (ev: DirectEvent) => {
        this.heardBy.set(ev.contact.id, account)
        await engine().handleDirect({ ...ev, account })
      },
      handleFriendship: async (ev: FriendshipEvent) => {
        this.heardBy.set(ev.contact.id, account)
        this.friendshipBy.set(ev.friendshipId, account)
        await engine().handleFriendship({ ...ev, account })
      },
    }
  }

  /** An account logged out, was banned or lost its connection. */
  setOffline(account: string, reason: string): void {
    if (!this.assignees.isOnline(account)) return
    this.assignees.setOffline(account)
    const serving = this.roomsServedBy(account)
    this.o.log.warn(
      { account, reason, rooms: serving.length, graceSeconds: Math.round(this.o.graceMs / 1000) },
      'account offline: its rooms are taken over if it is not back within the grace period',
    )
    this.settle()
  }

  roomsServedBy(account: string): string[] {
    return this.assignees.rooms().filter((r) => this.assignees.assignee(r) === account)
  }

  /** The account a conversation (room or contact) is sent through now. */
  route(conversationId: string): string {
    const first = this.o.accounts[0]!.id
    if (this.isRoom(conversationId)) return this.assignees.target(conversationId) ?? first
    const heard = this.heardBy.get(conversationId)
    if (heard && this.assignees.isOnline(heard)) return heard
    return this.o.accounts.find((a) => this.assignees.isOnline(a.id))?.id ?? heard ?? first
  }

  // ---- OutgoingQueue ---------------------------------------------------------------------

  enqueue(conversationId: string, segments: readonly Segment[], options: EnqueueOptions): Promise<SendResult> {
    return this.line(this.route(conversationId)).queue.enqueue(conversationId, segments, options)
  }

  /** Media budget left today for the account that serves the conversation now. */
  mediaLeft(conversationId: string, kind: MediaKind): number {
    return this.line(this.route(conversationId)).queue.mediaLeft(conversationId, kind)
  }

  withdraw(tag: string): number {
    let n = 0
    for (const line of this.lines.values()) n += line.queue.withdraw(tag)
    return n
  }

  // ---- PuppetActions: through the account that got the request / serves the room ------------

  /**
   * Only the account that received a request can accept it: the one the skill recorded with
   * the request (durably: a request kept for tomorrow survives a restart), else the one this
   * process saw receive it. Accepted, the contact's private texts go through that account.
   */
  async acceptFriendship(friendshipId: string, via?: AcceptVia): Promise<void> {
    const account = this.acceptorOf(friendshipId, via)
    const line = this.lines.get(account)
    if (!line) throw new Error(`the account that received this friend request (${account}) is no longer in accounts:`)
    await line.actions.acceptFriendship(friendshipId, via)
    if (via?.contactId) this.heardBy.set(via.contactId, account)
  }

  /** Can the account that would do this act now (online, and its own actions say so)? */
  canAct(action: ActionTarget): boolean {
    const account = action.kind === 'accept' ? this.acceptorOf(action.friendshipId, action) : this.route(action.roomId)
    const line = this.lines.get(account)
    if (!line) return action.kind === 'accept' // refused when tried: no account to wait for
    return this.assignees.isOnline(account) && (line.actions.canAct?.(action) ?? true)
  }

  private acceptorOf(friendshipId: string, via?: { account?: string }): string {
    return via?.account ?? this.friendshipBy.get(friendshipId) ?? this.o.accounts[0]!.id
  }

  addToRoom(roomId: string, contactId: string): Promise<void> {
    return this.line(this.route(roomId)).actions.addToRoom(roomId, contactId)
  }

  removeFromRoom(roomId: string, contactId: string): Promise<void> {
    return this.line(this.route(roomId)).actions.removeFromRoom(roomId, contactId)
  }

  roomMemberIds(roomId: string): Promise<string[]> {
    return this.line(this.route(roomId)).actions.roomMemberIds(roomId)
  }

  roomMember(roomId: string, contactId: string): Promise<RoomMemberInfo> {
    return this.line(this.route(roomId)).actions.roomMember(roomId, contactId)
  }

  /** Every account's own id: a helper account in a room is no member. */
  ownIds(): string[] {
    return [...this.lines.values()].flatMap((l) => l.actions.ownIds())
  }

  close(): void {
    this.closed = true
    this.tick?.cancel()
  }

  // ---- inside ------------------------------------------------------------------------------

  private line(id: string): AccountLine {
    const line = this.lines.get(id)
    if (!line) throw new Error(`unknown account ${id}`)
    return line
  }

  /** The group's `accounts:` for a room, else every account in `accounts:` order. */
  private order(roomId: string): readonly string[] {
    const ref = this.engine?.rooms.get(roomId)
    const group = ref ? this.engine!.rooms.groupFor(ref) : undefined
    return group?.accounts ?? this.accountIds
  }

  private isRoom(id: string): boolean {
    return this.assignees.anyIn(id) || this.engine?.rooms.get(id) !== undefined || id.endsWith('@chatroom')
  }

  private seen(account: string, room: RoomRef): void {
    this.engine?.rooms.upsert(room)
    if (this.assignees.isIn(account, room.id)) return
    this.assignees.enter(account, room.id)
    if (this.assignees.assignee(room.id) === undefined || this.assignees.isOnline(account)) this.settle()
  }

  private left(account: string, roomId: string): void {
    this.assignees.leave(account, roomId)
    if (!this.assignees.anyIn(roomId)) this.engine?.rooms.remove(roomId)
    this.settle()
  }

  /** Decide the rooms again, log what changed hands, and move stranded texts. */
  private settle(): void {
    if (this.closed) return
    const changes = this.assignees.evaluate()
    for (const h of changes) this.logHandover(h)
    this.rehome()
    // removals and invites that waited for a room's away account may go through its new one
    if (changes.length > 0) this.engine?.actionsMayResume()
  }

  private logHandover(h: Handover): void {
    const log = this.o.log
    if (h.why === 'first') log.info({ room: h.room, account: h.to }, 'room served by account')
    else log.warn({ room: h.room, from: h.from, to: h.to, why: h.why }, h.why === 'takeover' ? 'room taken over by another account' : 'room handed to another account')
  }

  /**
   * Texts waiting in a queue that no longer serves their conversation go to the one that does:
   * a room taken over, or a private text held by an account that went away. Only texts never
   * handed to the puppet move (see SendQueue.takeWaiting); one whose send may have reached
   * WeChat was already dropped there if it must go out at most once.
   */
  private rehome(): void {
    for (const line of this.lines.values()) {
      for (const conversation of line.queue.waitingConversations()) {
        const to = this.route(conversation)
        if (to === line.id) continue
        if (!this.isRoom(conversation) && (this.assignees.isOnline(line.id) || !this.assignees.isOnline(to))) continue
        const items = line.queue.takeWaiting(conversation)
        if (items.length === 0) continue
        this.line(to).queue.adopt(conversation, items)
        this.o.log.info({ conversation, from: line.id, to, texts: items.length }, 'waiting texts re-routed to the serving account')
      }
    }
  }

  private scheduleTick(): void {
    if (this.closed) return
    this.tick = this.o.clock.after(this.o.tickMs ?? 1_000, () => {
      this.settle()
      this.scheduleTick()
    })
  }
}
