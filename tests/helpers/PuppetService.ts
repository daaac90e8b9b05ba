import { randomUUID } from 'node:crypto'
import { freePort } from './freePort.js'
import { mock } from 'wechaty-puppet-mock'
import { PuppetServer } from 'wechaty-puppet-service'
import { RehearsalPuppet } from '../../src/sandbox/RehearsalPuppet.js'
import { trackCloser } from './processRegistry.js'
import { waitFor } from './waitFor.js'

/**
 * A puppet-mock that behaves like a hosted puppet service: it keeps the WeChat session, so
 * when a client restarts it (stop, then start) the account logs in again by itself. From
 * RehearsalPuppet: friend requests are real `friendship` events, `room.add` a real
 * `room-join`, `room.remove` a real `room-leave` (see src/sandbox/RehearsalPuppet.ts).
 */
class ServicePuppet extends RehearsalPuppet {
  account: mock.ContactMock | undefined
  /** The mentions of texts being sent, by text (the mock drops them): read by the recorder. */
  readonly mentionsOf = new Map<string, string[][]>()
  /** Every accept, invite and removal that reached the service, with when (wall clock). */
  readonly actions: PuppetAction[] = []

  override async friendshipAccept(friendshipId: string): Promise<void> {
    this.actions.push({ kind: 'accept', id: friendshipId, at: Date.now() })
    return super.friendshipAccept(friendshipId)
  }

  override async roomAdd(roomId: string, contactId: string): Promise<void> {
    this.actions.push({ kind: 'invite', id: roomId, contactId, at: Date.now() })
    return super.roomAdd(roomId, contactId)
  }

  override async roomDel(roomId: string, contactId: string): Promise<void> {
    this.actions.push({ kind: 'remove', id: roomId, contactId, at: Date.now() })
    return super.roomDel(roomId, contactId)
  }

  override async messageSendText(conversationId: string, text: string, mentionIdList?: string[]): Promise<void> {
    const list = this.mentionsOf.get(text) ?? []
    list.push(mentionIdList ?? [])
    this.mentionsOf.set(text, list)
    return super.messageSendText(conversationId, text)
  }

  override async onStart(): Promise<void> {
    await super.onStart()
    const account = this.account
    if (account) setTimeout(() => !this.isLoggedIn && this.mocker.login(account), 50)
  }
}

/** An action the bot asked the service for (recorded before the mock carries it out). */
export interface PuppetAction {
  kind: 'accept' | 'invite' | 'remove'
  /** The friendship id, or the room id. */
  id: string
  contactId?: string
  at: number
}

export interface SaidText {
  /** Empty for a picture, file or card (see `type`, and `svc.puppet.sentMedia` for what it was). */
  text: string
  /** The message's type as the room got it (PUPPET.types.Message: Text 7, Image 6, Attachment 1, Url 14, MiniProgram 9). */
  type: number
  /** Contact ids the bot @-ed in it. */
  mentionIds: string[]
  roomId?: string
  to?: string
  at: number
}

/**
 * A PuppetServer (the real gRPC transport of wechaty-puppet-service) wrapping a puppet-mock
 * on 127.0.0.1, with an `insecure_<uuid>` token, and the Mocker to play members. Records
 * every text the bot sends.
 */
export class PuppetService {
  readonly mocker = new mock.Mocker()
  readonly puppet = new ServicePuppet({ mocker: this.mocker })
  readonly token = `insecure_${randomUUID()}`
  readonly botUser: mock.ContactMock
  readonly said: SaidText[] = []
  private server: PuppetServer | undefined
  private heartbeat: NodeJS.Timeout | undefined

  private constructor(
    readonly endpoint: string,
    bot = { name: 'siyu小助手', id: 'wxid_siyubot' },
  ) {
    // the server-side watchdog and mock emit errors that must not crash the test process
    this.puppet.on('error', () => {})
    this.botUser = this.mocker.createContact(bot)
    this.puppet.account = this.botUser
    this.botUser.on('message', (m: mock.MessageMock) => {
      if (m.payload.talkerId !== this.botUser.id) return
      const text = m.text() ?? ''
      const mentions = this.puppet.mentionsOf.get(text)
      const mentionIds = mentions?.shift() ?? []
      if (mentions?.length === 0) this.puppet.mentionsOf.delete(text)
      this.said.push({ text, type: m.type(), mentionIds, roomId: m.payload.roomId, to: m.payload.listenerId, at: Date.now() })
    })
  }

  /** `bot`: the account's contact (several accounts: one service each, with different ids). */
  static async start(bot?: { name: string; id: string }): Promise<PuppetService> {
    const s = new PuppetService(`127.0.0.1:${await freePort()}`, bot)
    // closed also by the per-file teardown if a test fails before closing it (processRegistry.ts)
    s.untrack = trackCloser(`puppet service on ${s.endpoint}`, () => s.stopServer())
    await s.startServer()
    // the account is logged in at the service before any bot connects
    s.mocker.login(s.botUser)
    return s
  }

  /** Environment for a bot process that should talk to this service. */
  env(): Record<string, string> {
    return {
      WECHATY_PUPPET_SERVICE_TOKEN: this.token,
      WECHATY_PUPPET_SERVICE_ENDPOINT: this.endpoint,
      WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
    }
  }

  async startServer(): Promise<void> {
    this.server = new PuppetServer({ puppet: this.puppet, token: this.token, endpoint: this.endpoint, tls: { disable: true } } as never)
    await this.server.start()
    // without events the client's watchdog resets the session after 60 s
    this.heartbeat = setInterval(() => this.puppet.emit('heartbeat', { data: 'test-service' }), 10_000)
  }

  async stopServer(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat)
    await this.server?.stop()
    this.server = undefined
  }

  contact(name: string, id?: string): mock.ContactMock {
    return this.mocker.createContact({ name, ...(id ? { id } : {}) })
  }

  room(topic: string, members: mock.ContactMock[], id?: string): mock.RoomMock {
    return this.mocker.createRoom({ topic, memberIdList: [this.botUser.id, ...members.map((m) => m.id)], ...(id ? { id } : {}) })
  }

  /** Texts the bot sent privately to a contact, in order. */
  textsTo(contact: mock.ContactMock): string[] {
    return this.said.filter((s) => !s.roomId && s.to === contact.id).map((s) => s.text)
  }

  /** Wait until the bot said something privately to the contact that matches. */
  async waitForPrivate(contact: mock.ContactMock, match: RegExp | string, timeoutMs = 15_000): Promise<string> {
    return waitFor(
      () => this.textsTo(contact).find((t) => (typeof match === 'string' ? t.includes(match) : match.test(t))),
      { timeoutMs, what: `private bot text matching ${match} to ${contact.payload.name}; said: ${JSON.stringify(this.textsTo(contact))}` },
    )
  }

  /** Texts the bot sent into a room, in order. */
  textsIn(room: mock.RoomMock): string[] {
    return this.said.filter((s) => s.roomId === room.id).map((s) => s.text)
  }

  /** Wait until the bot said something in the room that matches. */
  async waitForText(room: mock.RoomMock, match: RegExp | string, timeoutMs = 15_000): Promise<string> {
    return waitFor(
      () => this.textsIn(room).find((t) => (typeof match === 'string' ? t.includes(match) : match.test(t))),
      { timeoutMs, what: `bot text matching ${match} in ${room.payload.topic}; said: ${JSON.stringify(this.textsIn(room))}` },
    )
  }

  private untrack: (() => Promise<void>) | undefined

  async close(): Promise<void> {
    await (this.untrack ?? (() => this.stopServer()))().catch(() => {})
  }
}

export { freePort }
