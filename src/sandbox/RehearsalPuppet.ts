import { types } from 'wechaty'
import { PuppetMock, type mock } from 'wechaty-puppet-mock'

/** A card a member posts (what the sandbox's /link, /mini, /card and the tests send). */
export type Card =
  | { kind: 'url'; url: string; title: string; description?: string }
  | { kind: 'miniProgram'; title: string; appid?: string; description?: string; pagePath?: string }
  | { kind: 'contact'; contactId: string }

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
