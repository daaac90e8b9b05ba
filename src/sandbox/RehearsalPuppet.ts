import { FileBox, type FileBoxInterface } from 'file-box'
import { types } from 'wechaty'
import { PuppetMock, type mock } from 'wechaty-puppet-mock'
import { describeMedia, type MediaShown } from '../media/describe.js'
import type { MediaKind } from '../config/mediaSchema.js'

/** A card a member posts (what the sandbox's /link, /mini, /card and the tests send). */
export type Card =
  | { kind: 'url'; url: string; title: string; description?: string }
  | { kind: 'miniProgram'; title: string; appid?: string; description?: string; pagePath?: string }
  | { kind: 'contact'; contactId: string }

/** A media message the bot sent (what the sandbox shows and the tests look at). */
export type SentMedia = MediaShown & {
  conversationId: string
  /** The message the room got (its type is the media's: Image, Attachment, Url, MiniProgram). */
  messageId: string
  /** Link and mini-program cards: what the puppet was handed. */
  payload?: Record<string, unknown>
  /** Files and pictures: the bytes' type as sent. */
  mediaType?: string
}

interface FriendRequest {
  id: string
  contactId: string
  hello: string
  ticket: string
  timestamp: number
  type: types.Friendship
}

/**
 * puppet-mock with the parts it leaves as stubs made real, for the sandbox and the tests
 * (recipes in ../shared/notes/wechaty.md): a friend request is a real `friendship` event with
 * its hello text and `friendshipAccept` makes the contact a friend; `roomAdd` is an invite the
 * contact accepts a moment later (a real `room-join`); `roomDel` a real `room-leave`.
 * `failAdds`/`failRemoves` play a bot that is not allowed to (not the room's owner/admin,
 * "操作太频繁").
 */
export class RehearsalPuppet extends PuppetMock {
  readonly friendRequests = new Map<string, FriendRequest>()
  readonly accepted: string[] = []
  failAdds = 0
  failRemoves = 0
  /** Media kinds this account "cannot send" (the puppet refuses them, as some protocols do). */
  readonly refuseMedia = new Set<MediaKind>()
  /** Every media message the bot sent, in order. */
  readonly sentMedia: SentMedia[] = []
  /** How long an invitee takes to accept the invitation. */
  joinDelayMs = 30
  private requestSeq = 0
  /** What each posted card shows, by message id (puppet-mock answers every card with a stub). */
  private readonly cards = new Map<string, Card>()
  private cardSeq = 0

  /**
   * A member posts a card into a room: a message of type Url, MiniProgram or Contact whose
   * details (`messageUrl`, `messageMiniProgram`, `messageContact`) are the card's. Returns its id.
   */
  postCard(talker: mock.ContactMock, room: mock.RoomMock, card: Card): string {
    const type = card.kind === 'url' ? types.Message.Url : card.kind === 'miniProgram' ? types.Message.MiniProgram : types.Message.Contact
    const id = `card-${++this.cardSeq}-${Date.now()}`
    this.cards.set(id, card)
    this.mocker.MessageMock.create({ id, talkerId: talker.id, roomId: room.id, mentionIdList: [], timestamp: Date.now(), type } as never)
    this.emit('message', { messageId: id })
    return id
  }

  /** How a bot's media message reads in the terminal (`[图片 群规.png 120 KB]`), by message id. */
  shown(messageId: string): string | undefined {
    const m = this.sentMedia.find((x) => x.messageId === messageId)
    return m && describeMedia(m)
  }

  override async messageSendFile(conversationId: string, file: FileBoxInterface): Promise<void> {
    const buffer = await file.toBuffer()
    const image = /^image\/(jpeg|png|gif)$/.test(file.mediaType ?? '') || /\.(jpe?g|png|gif)$/i.test(file.name)
    this.refuse(image ? 'image' : 'file')
    if (!this.isLoggedIn) throw new Error('not logged in')
    // puppet-mock keeps a message's file as JSON, which only a base64 (or URL, UUID) box has;
    // and it would call a PDF "Unknown": the room gets a picture or an attachment, as on WeChat
    const box = FileBox.fromBase64(buffer.toString('base64'), file.name)
    const messageId = `bot-file-${++this.cardSeq}-${Date.now()}`
    this.mocker.cacheFileBoxPayload.set(messageId, box.toJSON())
    // recorded first: the room (and the sandbox's terminal) sees the message as it is created
    this.sentMedia.push({ kind: image ? 'image' : 'file', name: file.name, bytes: buffer.length, conversationId, messageId, mediaType: box.mediaType })
    this.botMessage(messageId, conversationId, image ? types.Message.Image : types.Message.Attachment)
  }

  override async messageSendUrl(conversationId: string, payload: { url: string; title: string; description?: string; thumbnailUrl?: string }): Promise<void> {
    this.refuse('link')
    const messageId = this.nextCardId()
    this.sentMedia.push({ kind: 'link', title: payload.title, url: payload.url, conversationId, messageId, payload: { ...payload } })
    this.botCard(messageId, conversationId, { kind: 'url', url: payload.url, title: payload.title, description: payload.description }, types.Message.Url)
  }

  override async messageSendMiniProgram(conversationId: string, payload: { title?: string; pagePath?: string; appid?: string; description?: string }): Promise<void> {
    this.refuse('miniProgram')
    const card: Card = { kind: 'miniProgram', title: payload.title ?? '', appid: payload.appid, description: payload.description, pagePath: payload.pagePath }
    const messageId = this.nextCardId()
    this.sentMedia.push({ kind: 'miniProgram', title: payload.title ?? '', pagePath: payload.pagePath, conversationId, messageId, payload: { ...payload } })
    this.botCard(messageId, conversationId, card, types.Message.MiniProgram)
  }

  private refuse(kind: MediaKind): void {
    if (this.refuseMedia.has(kind)) throw new Error(`sending ${kind} is not supported by this account's protocol`)
  }

  /** The bot's card arrives in the conversation as a message of its type (puppet-mock sends none). */
  private botCard(id: string, conversationId: string, card: Card, type: types.Message): void {
    this.cards.set(id, card)
    this.botMessage(id, conversationId, type)
  }

  private nextCardId(): string {
    if (!this.isLoggedIn) throw new Error('not logged in')
    return `bot-card-${++this.cardSeq}-${Date.now()}`
  }

  private botMessage(id: string, conversationId: string, type: types.Message): void {
    const where = /@/.test(conversationId) ? { roomId: conversationId, mentionIdList: [] } : { listenerId: conversationId }
    this.mocker.MessageMock.create({ id, talkerId: this.currentUserId, timestamp: Date.now(), type, ...where } as never)
    this.emit('message', { messageId: id })
  }

  override async messageUrl(messageId: string): Promise<any> {
    const c = this.cards.get(messageId)
    if (c?.kind !== 'url') return super.messageUrl(messageId)
    return { url: c.url, title: c.title, description: c.description }
  }

  override async messageMiniProgram(messageId: string): Promise<any> {
    const c = this.cards.get(messageId)
    if (c?.kind !== 'miniProgram') return super.messageMiniProgram(messageId)
    return { title: c.title, appid: c.appid, description: c.description, pagePath: c.pagePath }
  }

  override async messageContact(messageId: string): Promise<string> {
    const c = this.cards.get(messageId)
    return c?.kind === 'contact' ? c.contactId : super.messageContact(messageId)
  }

  /** A stranger sends a friend request: the bot gets a `friendship` event (type Receive). */
  requestFriend(contact: mock.ContactMock, hello: string, id = `friendship-${++this.requestSeq}-${contact.id}`): string {
    // whoever asks is no friend yet (the mock makes every contact one)
    contact.payload.friend = false
    this.friendRequests.set(id, { id, contactId: contact.id, hello, ticket: id, timestamp: Date.now(), type: types.Friendship.Receive })
    this.emit('friendship', { friendshipId: id })
    return id
  }

  isFriend(contactId: string): boolean {
    return this.mocker.ContactMock.load(contactId).payload.friend === true
  }

  override async friendshipRawPayload(id: string): Promise<any> {
    return this.friendRequests.get(id) ?? { id }
  }

  override async friendshipAccept(friendshipId: string): Promise<void> {
    const req = this.friendRequests.get(friendshipId)
    if (!req) throw new Error(`no friend request ${friendshipId}`)
    this.mocker.ContactMock.load(req.contactId).payload.friend = true
    this.accepted.push(friendshipId)
  }

  override async roomAdd(roomId: string, contactId: string): Promise<void> {
    if (this.failAdds > 0) {
      this.failAdds--
      throw new Error('roomAdd refused: 操作太频繁')
    }
    const room = this.mocker.RoomMock.load(roomId)
    const contact = this.mocker.ContactMock.load(contactId)
    const by = this.self()
    // on WeChat the invitee accepts the invitation card later: the join comes after the add
    setTimeout(() => room.add(contact).by(by), this.joinDelayMs)
  }

  override async roomDel(roomId: string, contactId: string): Promise<void> {
    if (this.failRemoves > 0) {
      this.failRemoves--
      throw new Error('roomDel refused: the bot is not the room owner or an admin')
    }
    this.mocker.RoomMock.load(roomId).remove(this.mocker.ContactMock.load(contactId)).by(this.self())
  }

  private self(): mock.ContactMock | undefined {
    return this.isLoggedIn ? this.mocker.ContactMock.load(this.currentUserId) : undefined
  }
}
