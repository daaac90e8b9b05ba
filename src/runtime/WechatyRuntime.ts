import type { Logger } from 'pino'
import qrcodeTerminal from 'qrcode-terminal'
import { types, type Contact as ContactInterface, type Friendship as FriendshipInterface, type Message as MessageInterface, type Room as RoomInterface, type Wechaty as WechatyInterface } from 'wechaty'
import { NotConnectedError, type PuppetActions, type RoomMemberInfo } from '../engine/actions.js'
import type { DirectEvent, Engine, MessageEvent } from '../engine/Engine.js'
import type { RoomDirectory } from '../engine/RoomDirectory.js'
import type { CardDetails, Member, MessageKind, RoomRef } from '../engine/Skill.js'
import type { SendQueue } from '../send/SendQueue.js'
import type { PuppetMedia } from '../media/MediaLibrary.js'
import { ConnectionSupervisor } from './ConnectionSupervisor.js'
import { guardPuppetLookups, InFlight } from './lookupGuard.js'
import { RoomSerializer } from './RoomSerializer.js'

/** What the runtime hands events to: the engine, or one account's view of it (AccountRouter). */
export type RuntimeEngine = Pick<Engine, 'handleMessage' | 'noteOther' | 'handleDirect' | 'handleFriendship' | 'handleJoin' | 'handleLeave' | 'markRoomsReady'> & {
  rooms: Pick<RoomDirectory, 'upsert' | 'groupFor' | 'remove'>
}

export interface RuntimeOptions {
  wechaty: WechatyInterface
  engine: RuntimeEngine
  queue: SendQueue
  log: Logger
  /** Draw the login QR code on the terminal (default: when stdout is a TTY). */
  drawQr?: boolean
  /**
   * The Wechaty belongs to a host program (the plugin, src/plugin.ts): the host starts it,
   * logs it in, reconnects and stops it. The runtime only listens — no restarts, no QR code —
   * and `stopPuppet()` takes its listeners off instead of stopping the host's bot.
   */
  hosted?: boolean
  loginTimeoutMs?: number
  /** See ConnectionSupervisor: set when this process took the lease over from another. */
  firstLoginTimeoutMs?: number
  backoffMs?: [number, number]
}

/**
 * The bridge between Wechaty and the engine: turns Wechaty events into engine events (one
 * room at a time, in order), drops what must not be handled (own echoes, replays from
 * before the start, repeats), sends texts for the queue, does the skills' actions (accept,
 * invite, remove) for the governor, and keeps the connection alive through the supervisor.
 * Private messages and friend requests are handled one contact at a time, in order.
 */
export class WechatyRuntime implements PuppetActions {
  readonly startedAt = Date.now()
  private readonly serializer: RoomSerializer
  private readonly supervisor: Pick<ConnectionSupervisor, 'begin' | 'onLogin' | 'onScan' | 'onLogout' | 'onError' | 'connected' | 'shutdown'>
  /** Every listener this runtime put on the Wechaty, to take them off again (hosted). */
  private readonly listeners: Array<[string, (...args: never[]) => void]> = []
  private readonly seen = new RecentIds(20_000)
  private stopping = false
  private selfId: string | undefined
  private roomsLoaded!: () => void
  /** Resolves once logged in and the rooms are loaded (the first time). */
  readonly ready = new Promise<void>((resolve) => (this.roomsLoaded = resolve))

  constructor(private readonly o: RuntimeOptions) {
    this.serializer = new RoomSerializer(o.log)
    this.supervisor = o.hosted
      ? new HostedConnection()
      : new ConnectionSupervisor({
          start: () => o.wechaty.start(),
          stop: () => o.wechaty.stop(),
          log: o.log.child({ part: 'connection' }),
          loginTimeoutMs: o.loginTimeoutMs,
          firstLoginTimeoutMs: o.firstLoginTimeoutMs,
          backoffMs: o.backoffMs,
        })
  }

  get connected(): boolean {
    return this.supervisor.connected
  }

  /** The transport the send queue uses. */
  async send(conversationId: string, text: string, mentionIds: string[]): Promise<void> {
    if (!this.o.wechaty.isLoggedIn) throw new Error('not logged in')
    await this.o.wechaty.puppet.messageSendText(conversationId, text, mentionIds)
  }

  /** A media item (src/media/MediaSender.ts decides what and whether). */
  async sendMedia(conversationId: string, media: PuppetMedia): Promise<void> {
    if (!this.o.wechaty.isLoggedIn) throw new Error('not logged in')
    const puppet = this.o.wechaty.puppet
    if ('file' in media) await puppet.messageSendFile(conversationId, media.file)
    else if ('url' in media) await puppet.messageSendUrl(conversationId, media.url)
    else await puppet.messageSendMiniProgram(conversationId, media.miniProgram)
  }

  acceptFriendship(friendshipId: string): Promise<void> {
    return this.act((puppet) => puppet.friendshipAccept(friendshipId))
  }

  addToRoom(roomId: string, contactId: string): Promise<void> {
    return this.act((puppet) => puppet.roomAdd(roomId, contactId))
  }

  removeFromRoom(roomId: string, contactId: string): Promise<void> {
    return this.act((puppet) => puppet.roomDel(roomId, contactId))
  }

  /** Logged in and connected: an accept, invite or removal can go out now. */
  canAct(): boolean {
    return this.o.wechaty.isLoggedIn && this.connected
  }

  /**
   * An action on the puppet. Not logged in, or a failure that comes with the connection going
   * (gRPC UNAVAILABLE, a reset, a logout meanwhile) is NotConnectedError — the action waits for
   * the account to be back; anything else is WeChat refusing it (not the room's owner, 操作太频繁).
   */
  private async act(call: (puppet: WechatyInterface['puppet']) => Promise<void>): Promise<void> {
    if (!this.canAct()) throw new NotConnectedError('not logged in')
    try {
      await call(this.o.wechaty.puppet)
    } catch (err) {
      if (!this.canAct() || ConnectionSupervisor.isConnectionError(err)) throw new NotConnectedError(`connection lost: ${String((err as Error)?.message ?? err)}`)
      throw err
    }
  }

  async roomMemberIds(roomId: string): Promise<string[]> {
    if (!this.o.wechaty.isLoggedIn) throw new Error('not logged in')
    return this.o.wechaty.puppet.roomMemberList(roomId)
  }

  async roomMember(roomId: string, contactId: string): Promise<RoomMemberInfo> {
    if (!this.o.wechaty.isLoggedIn) throw new Error('not logged in')
    const p = await this.o.wechaty.puppet.roomMemberPayload(roomId, contactId)
    const nick = p.name || undefined
    const alias = p.roomAlias || undefined
    return { id: contactId, name: alias ?? nick ?? contactId, ...(nick ? { nick } : {}), ...(alias ? { alias } : {}), ...(p.inviterId ? { inviterId: p.inviterId } : {}) }
  }

  ownIds(): string[] {
    const self = this.selfId ?? this.o.wechaty.currentUser?.id
    return self ? [self] : []
  }

  async start(): Promise<void> {
    const w = this.listen()
    const log = this.o.log
    // Without an 'error' listener Wechaty throws; most of its errors are harmless noise
    // (puppet-mock's "no payload found" on every room event), connection ones are not.
    w.on('error', (err) => {
      if (ConnectionSupervisor.isConnectionError(err)) {
        log.warn({ err: String(err) }, 'puppet connection error')
        this.o.queue.pause()
      } else log.debug({ err: String(err) }, 'wechaty error (ignored)')
      this.supervisor.onError(err)
    })
    // a burst into a room not loaded yet: one lookup per room and member, not per message
    w.on('puppet', (puppet) => guardPuppetLookups(puppet))
    // the host's login QR code is the host's business
    if (!this.o.hosted) w.on('scan', (qrcode, status) => this.onScan(qrcode, status))
    w.on('login', (user) => void this.onLogin(user))
    w.on('logout', (user, reason) => {
      log.warn({ user: user.id, reason }, 'logged out')
      this.o.queue.pause()
      this.supervisor.onLogout()
    })
    w.on('message', (msg) => this.onMessage(msg))
    w.on('friendship', (f) => this.onFriendship(f))
    w.on('room-join', (room, invitees, inviter, date) => this.onMembers('join', room, invitees, date, inviter))
    w.on('room-leave', (room, leavers, remover, date) => this.onMembers('leave', room, leavers, date, remover))
    w.on('room-topic', (room, topic) => {
      this.o.engine.rooms.upsert({ id: room.id, topic })
      log.info({ room: room.id, topic }, 'room topic changed')
    })
    this.o.queue.pause()
    await this.supervisor.begin()
    if (this.o.hosted) {
      // installed into a bot that may be running and logged in already
      const puppet = hostPuppet(this.o.wechaty)
      if (puppet) guardPuppetLookups(puppet)
      if (puppet?.isLoggedIn) void this.onLogin(this.o.wechaty.currentUser)
    }
  }

  /** The Wechaty's `on`, remembering each listener so that `stopPuppet()` can take it off (hosted). */
  private listen(): Pick<WechatyInterface, 'on'> {
    const w = this.o.wechaty
    return {
      on: ((event: string, listener: (...args: never[]) => void) => {
        this.listeners.push([event, listener])
        return w.on(event as never, listener as never)
      }) as WechatyInterface['on'],
    }
  }

  /** Stop taking events, let the ones in hand finish (bounded), and stop the puppet. */
  async stopEvents(graceMs: number): Promise<void> {
    this.stopping = true
    this.supervisor.shutdown()
    await this.serializer.idle(graceMs)
  }

  /** Stop the puppet — or, hosted, leave the host's bot running with none of siyu's listeners on it. */
  async stopPuppet(): Promise<void> {
    if (this.o.hosted) {
      for (const [event, listener] of this.listeners.splice(0)) this.o.wechaty.off(event as never, listener as never)
      return
    }
    await this.o.wechaty.stop().catch((err: unknown) => this.o.log.debug({ err }, 'wechaty stop failed'))
  }

  private onScan(qrcode: string, status: types.ScanStatus): void {
    this.supervisor.onScan()
    if (status !== types.ScanStatus.Waiting && status !== types.ScanStatus.Timeout) {
      this.o.log.info({ status: types.ScanStatus[status] }, 'login QR code status')
      return
    }
    const url = `https://wechaty.js.org/qrcode/${encodeURIComponent(qrcode)}`
    this.o.log.info({ url }, 'scan the QR code with the WeChat account the bot should use')
    if (this.o.drawQr ?? process.stdout.isTTY) qrcodeTerminal.generate(qrcode, { small: true })
  }

  private async onLogin(user: ContactInterface): Promise<void> {
    this.selfId = user.id
    this.supervisor.onLogin()
    this.o.log.info({ user: user.id, name: user.name() }, 'logged in')
    try {
      const rooms = await this.o.wechaty.Room.findAll()
      let matched = 0
      for (const room of rooms) {
        const ref = await roomRef(room).catch(() => undefined)
        if (!ref) continue
        this.o.engine.rooms.upsert(ref)
        if (this.o.engine.rooms.groupFor(ref)) matched++
      }
      this.o.log.info({ rooms: rooms.length, matched }, 'rooms loaded')
    } catch (err) {
      this.o.log.warn({ err }, 'could not list rooms; they are learned as events arrive')
    }
    this.o.engine.markRoomsReady()
    this.roomsLoaded()
    this.o.queue.resume()
  }

  private onMessage(msg: MessageInterface): void {
    const log = this.o.log
    if (this.stopping) return
    if (msg.self() || msg.talker()?.id === this.selfId) {
      log.debug({ id: msg.id }, 'own message; ignored')
      return
    }
    if (!this.seen.add(msg.id)) {
      log.debug({ id: msg.id }, 'message delivered twice; ignored')
      return
    }
    if (msg.date().getTime() < this.startedAt - 2_000) {
      log.debug({ id: msg.id, date: msg.date().toISOString() }, 'message from before the start; ignored')
      return
    }
    const room = msg.room()
    if (!room) {
      this.onDirect(msg)
      return
    }
    // Look the message up now (room topic, talker's alias, mentions: puppet calls that may
    // cross the network), for all messages at once; hand them to the engine in arrival order.
    const described = describe(msg, room).catch((err: unknown) => {
      log.warn({ err, id: msg.id }, 'could not read a message; ignored')
      return undefined
    })
    void this.serializer.run(room.id, 'message', async () => {
      const ev = await described
      if (!ev) return
      // every kind goes to the engine: cards and images reach only skills that opt in (`kinds`)
      await this.o.engine.handleMessage(ev.event)
    })
  }

  /** A private message: texts go to the engine (skills opt in), one contact at a time. */
  private onDirect(msg: MessageInterface): void {
    const talker = msg.talker()
    if (msg.type() !== types.Message.Text) {
      this.o.log.debug({ id: msg.id, contact: talker?.id, kind: types.Message[msg.type()] }, 'direct non-text message; ignored')
      return
    }
    const text = (msg.text() ?? '').trim()
    const ready = (talker.isReady() ? Promise.resolve() : talker.sync()).catch(() => undefined)
    void this.serializer.run(`contact:${talker.id}`, 'direct', async () => {
      await ready
      const ev: DirectEvent = {
        contact: { id: talker.id, name: talker.name() || talker.id },
        message: { id: msg.id, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: msg.date().getTime() },
      }
      await this.o.engine.handleDirect(ev)
    })
  }

  /**
   * A friend request. Not dropped by date: a request from before the start is still waiting
   * on WeChat (the skill keeps a durable record of the ids it handled, so a replay is one).
   */
  private onFriendship(f: FriendshipInterface): void {
    if (this.stopping) return
    const log = this.o.log
    if (f.type() !== types.Friendship.Receive) {
      log.debug({ id: f.id, type: types.Friendship[f.type()] }, 'friendship event that is no request; ignored')
      return
    }
    if (!this.seen.add(`friendship:${f.id}`)) {
      log.debug({ id: f.id }, 'friend request delivered twice; ignored')
      return
    }
    const contact = f.contact()
    if (contact.id === this.selfId) return
    const ev = { friendshipId: f.id, contact: { id: contact.id, name: contact.name() || contact.id }, hello: (f.hello() ?? '').trim() }
    log.info({ id: f.id, contact: contact.id }, 'friend request')
    void this.serializer.run(`contact:${contact.id}`, 'friendship', () => this.o.engine.handleFriendship(ev))
  }

  private onMembers(kind: 'join' | 'leave', room: RoomInterface, contacts: ContactInterface[], date?: Date, by?: ContactInterface): void {
    if (this.stopping) return
    if (date && date.getTime() < this.startedAt - 2_000) return
    const self = this.selfId ?? this.o.wechaty.currentUser?.id
    if (kind === 'join' && contacts.some((c) => c.id === self)) {
      // the bot was added to a room: learn it (and load its members) before traffic arrives
      void roomRef(room).then(
        (ref) => {
          this.o.engine.rooms.upsert(ref)
          this.o.log.info({ room: ref.id, topic: ref.topic, group: this.o.engine.rooms.groupFor(ref)?.name }, 'the bot joined a room')
        },
        () => {},
      )
    }
    if (kind === 'leave' && contacts.some((c) => c.id === self)) {
      this.o.engine.rooms.remove(room.id)
      this.o.log.warn({ room: room.id }, 'the bot left or was removed from a room')
    }
    const others = contacts.filter((c) => c.id !== self)
    if (others.length === 0) return
    const described = Promise.all([roomRef(room), Promise.all(others.map((c) => member(room, c))), room.memberAll().catch(() => [])])
    void this.serializer.run(room.id, kind, async () => {
      const [ref, members, all] = await described
      // who added (join) or removed (leave) them: the member record's inviter; the bot itself is no inviter
      const byId = by?.id || undefined
      const byBot = byId !== undefined && byId === self
      const ev = { room: ref, members, memberCount: all.length, by: byBot ? undefined : byId, byBot }
      if (kind === 'join') await this.o.engine.handleJoin(ev)
      else await this.o.engine.handleLeave(ev)
    })
  }
}

/**
 * The connection as seen by a runtime whose Wechaty a host program runs: logged in or not,
 * nothing to restart (the host's own reconnect logic, if any, does that).
 */
class HostedConnection {
  connected = false
  async begin(): Promise<void> {}
  onLogin(): void {
    this.connected = true
  }
  onLogout(): void {
    this.connected = false
  }
  onScan(): void {}
  onError(): void {}
  shutdown(): void {}
}

/** The host bot's puppet, or undefined before its start made one (Wechaty's getter throws then). */
function hostPuppet(w: WechatyInterface): WechatyInterface['puppet'] | undefined {
  try {
    return w.puppet
  } catch {
    return undefined
  }
}

type Described = { event: MessageEvent }

/** What the engine needs of a message, read from the puppet. */
async function describe(msg: MessageInterface, room: RoomInterface): Promise<Described> {
  const ref = await roomRef(room)
  if (msg.type() !== types.Message.Text) {
    const [talker, card] = await Promise.all([member(room, msg.talker()), cardOf(msg)])
    // a group note (接龙) keeps the text the puppet gives for it: the chain skill reads its lines
    const text = card.kind === 'groupNote' ? (msg.text() ?? '').trim() : ''
    const message = { id: msg.id, kind: card.kind, card: card.details, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: msg.date().getTime() }
    return { event: { room: ref, talker, message } }
  }
  const text = (msg.text() ?? '').trim()
  const [talker, mentionsBot, mentioned] = await Promise.all([
    member(room, msg.talker()),
    msg.mentionSelf().catch(() => false),
    msg.mentionList().catch(() => []),
  ])
  const selfId = msg.wechaty.currentUser?.id
  const mentionIds = mentioned.map((c) => c.id).filter((id) => id !== selfId)
  const withoutMentions = mentionsBot ? (await msg.mentionText().catch(() => text)).trim() : text
  return {
    event: { room: ref, talker, message: { id: msg.id, text, textWithoutMentions: withoutMentions, mentionsBot, mentionIds, date: msg.date().getTime() } },
  }
}

/** Lookups in flight per bot (a test may run two in one process), shared by concurrent events. */
const inFlight = new WeakMap<object, InFlight>()
function lookups(room: RoomInterface): InFlight {
  let l = inFlight.get(room.wechaty)
  if (!l) inFlight.set(room.wechaty, (l = new InFlight()))
  return l
}

/**
 * A card's kind and what it shows, read from the puppet (a link's url and title, a
 * mini-program's title and app id, a name card's contact). A card whose details cannot be
 * read still has its kind: guard blocks by kind.
 */
async function cardOf(msg: MessageInterface): Promise<{ kind: MessageKind; details: CardDetails }> {
  const type = msg.type()
  const puppet = msg.wechaty.puppet
  const name = types.Message[type] ?? 'Unknown'
  const quiet = <T>(p: Promise<T>): Promise<T | undefined> => p.catch(() => undefined)
  if (type === types.Message.Url) {
    const p = await quiet(puppet.messageUrl(msg.id))
    return { kind: 'url', details: { type: name, url: p?.url, title: p?.title, description: p?.description } }
  }
  if (type === types.Message.MiniProgram) {
    const p = await quiet(puppet.messageMiniProgram(msg.id))
    return { kind: 'miniProgram', details: { type: name, title: p?.title, description: p?.description, appId: p?.appid, url: p?.pagePath } }
  }
  if (type === types.Message.Contact) {
    const contactId = (await quiet(puppet.messageContact(msg.id))) || undefined
    const shown = contactId ? await quiet(puppet.contactPayload(contactId)) : undefined
    return { kind: 'contact', details: { type: name, contactId, contactName: shown?.name } }
  }
  if (type === types.Message.GroupNote) return { kind: 'groupNote', details: { type: name } }
  return { kind: 'other', details: { type: name } }
}

async function roomRef(room: RoomInterface): Promise<RoomRef> {
  // one sync per room however many events of a burst find it not loaded yet
  if (!room.isReady()) await lookups(room).run(`sync\n${room.id}`, () => room.sync())
  return { id: room.id, topic: await room.topic() }
}

/** Group alias first, then the WeChat name; the id is what identifies them. */
function member(room: RoomInterface, contact: ContactInterface): Promise<Member> {
  return lookups(room).run(`member\n${room.id}\n${contact.id}`, async () => {
    const alias = await room.alias(contact).catch(() => undefined)
    const nick = contact.name()
    return { id: contact.id, name: alias || nick || contact.id, ...(nick ? { nick } : {}), ...(alias ? { alias } : {}) }
  })
}

/** A bounded set of recently seen ids (at-least-once delivery shows repeats). */
class RecentIds {
  private readonly ids = new Set<string>()

  constructor(private readonly max: number) {}

  /** False when the id was seen already. */
  add(id: string): boolean {
    if (this.ids.has(id)) return false
    this.ids.add(id)
    if (this.ids.size > this.max) {
      const oldest = this.ids.values().next().value
      if (oldest !== undefined) this.ids.delete(oldest)
    }
    return true
  }
}
