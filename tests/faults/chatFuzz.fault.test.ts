import { FileBox } from 'file-box'
import { types } from 'wechaty'
import { describe, expect, it } from 'vitest'
import type { LogLine } from '../helpers/BotProcess.js'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      ping: {}
`

describe('fault: chat fuzz', () => {
  const used = useBotWorld('chatfuzz', CONFIG)

  it('odd messages crash nothing, get no reply, and are logged as ignored at debug level', async () => {
    const { svc, bot } = used
    const alice = svc.contact('Alice')
    const room = svc.room('粉丝1群', [alice])
    const other = svc.room('家人群', [alice])
    const ignored = (msg: string) => (l: LogLine) => l.level === 20 && l.msg === msg
    const emit = (type: types.Message, extra: Record<string, unknown> = {}) => {
      const m = svc.mocker.MessageMock.create({
        id: `fuzz-${type}-${Math.random()}`,
        talkerId: alice.id,
        roomId: room.id,
        mentionIdList: [],
        timestamp: Date.now(),
        type,
        ...extra,
      } as never)
      svc.puppet.emit('message', { messageId: m.id })
    }

    alice.say('').to(room)
    await bot.waitForLog(ignored('empty text; ignored'), 'empty text')
    alice.say('签到'.repeat(50_000)).to(room) // 100 KB
    await bot.waitForLog(ignored('text too long for any trigger; ignored'), '100 KB text')
    alice.say('😀🎉🌸🔥'.repeat(20)).to(room)
    alice.say('\u0000\u0007签到\u001b[31m\u202e').to(room)
    alice.say(FileBox.fromBase64(Buffer.from('89504e470d0a1a0a', 'hex').toString('base64'), 'photo.png')).to(room)
    await bot.waitForLog((l) => ignored('non-text message; ignored')(l) && l.kind === 'Image', 'an image')
    emit(types.Message.Attachment)
    await bot.waitForLog((l) => ignored('non-text message; ignored')(l) && l.kind === 'Attachment', 'a file')
    emit(types.Message.MiniProgram)
    await bot.waitForLog((l) => ignored('non-text message; ignored')(l) && l.kind === 'MiniProgram', 'a mini-program card')
    emit(types.Message.Url)
    emit(types.Message.RedEnvelope)
    await bot.waitForLog((l) => ignored('non-text message; ignored')(l) && l.kind === 'RedEnvelope', 'a red envelope')
    svc.botUser.say('签到').to(room) // the bot's own account
    await bot.waitForLog(ignored('own message; ignored'), 'its own message')
    alice.say('签到').to(other) // a room no group matches
    await bot.waitForLog(ignored('message in a room no group matches; ignored'), 'unknown room')
    // private messages: no skill here takes them (checkin and ping do not opt in)
    alice.say('签到').to(svc.botUser)
    await bot.waitForLog(ignored('direct message; ignored (no skill takes private messages)'), 'a direct message')
    alice.say('').to(svc.botUser)
    alice.say('ping'.repeat(30_000)).to(svc.botUser)
    await bot.waitForLog((l) => ignored('direct message empty or too long; ignored')(l) && l.contact === alice.id, 'an empty/long DM')
    alice.say(FileBox.fromBase64(Buffer.from('89504e470d0a1a0a', 'hex').toString('base64'), 'dm.png')).to(svc.botUser)
    await bot.waitForLog((l) => ignored('direct non-text message; ignored')(l) && l.kind === 'Image', 'a private image')
    const privateCard = svc.mocker.MessageMock.create({ id: `fuzz-dm-${Math.random()}`, talkerId: alice.id, listenerId: svc.botUser.id, mentionIdList: [], timestamp: Date.now(), type: types.Message.Contact } as never)
    svc.puppet.emit('message', { messageId: privateCard.id })
    await bot.waitForLog((l) => ignored('direct non-text message; ignored')(l) && l.kind === 'Contact', 'a private name card')
    // friend requests: accept is none by default; odd hello texts; one delivered twice
    const stranger = svc.contact('陌生人')
    const fr = svc.puppet.requestFriend(stranger, '\u0000加我'.repeat(500))
    svc.puppet.emit('friendship', { friendshipId: fr })
    svc.puppet.requestFriend(stranger, '')
    svc.puppet.requestFriend(svc.contact('另一个'), '😀'.repeat(3000))
    await bot.waitForLog((l) => l.msg === 'friend request delivered twice; ignored' && l.id === fr, 'a repeated friend request')
    await waitFor(() => bot.logs.filter((l) => l.msg === 'friend request left for people (bot.friends.accept: none)').length === 3, { what: 'three requests left for people' })
    expect(svc.puppet.accepted).toEqual([])

    // still alive, and none of that got an answer
    alice.say('ping').to(room)
    await svc.waitForText(room, 'pong Alice')
    // (the first is the account's own '签到', played above; the bot said only the pong)
    expect(svc.textsIn(room)).toEqual(['签到', 'pong Alice'])
    expect(svc.textsIn(other)).toEqual([])
    expect(svc.said.filter((s) => s.to)).toEqual([])
    expect(bot.logs.filter((l) => l.level >= 50)).toEqual([])
  }, 60_000)
})

const GUARD_CONFIG = `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      guard:
        block: { links: false, words: [兼职], flood: false, repeat: false }
        strikes: 100
      ping: {}
`

describe('fault: chat fuzz with cards (guard takes them)', () => {
  const used = useBotWorld('chatfuzz-cards', GUARD_CONFIG)

  it('odd link, mini-program and name cards crash nothing; blocked kinds strike, unblocked ones pass quietly', async () => {
    const { svc, bot } = used
    const bob = svc.contact('Bob')
    const room = svc.room('粉丝1群', [bob])
    const other = svc.room('家人群', [bob])
    const strikes = () => bot.logs.filter((l) => l.audit === true && l.action === 'guard strike' && l.contact === bob.id)
    const raw = (type: types.Message) => {
      const m = svc.mocker.MessageMock.create({ id: `fuzz-card-${type}-${Math.random()}`, talkerId: bob.id, roomId: room.id, mentionIdList: [], timestamp: Date.now(), type } as never)
      svc.puppet.emit('message', { messageId: m.id })
    }

    // links are allowed here: a link card passes, unless its title has a blocked word (even a huge one)
    svc.puppet.postCard(bob, room, { kind: 'url', url: 'https://ok.example', title: '' })
    svc.puppet.postCard(bob, room, { kind: 'url', url: '', title: '招'.repeat(50_000) + '兼职' })
    await waitFor(() => strikes().length === 1, { what: 'a strike for the word at the end of a 50 000-character title' })
    expect(strikes()[0]).toMatchObject({ rule: 'words', type: 'Url' })
    // mini-program cards are blocked, also one with nothing in it; and one whose details the service cannot give
    svc.puppet.postCard(bob, room, { kind: 'miniProgram', title: '\u0000\u202e😀' })
    raw(types.Message.MiniProgram)
    await waitFor(() => strikes().length === 3, { what: 'two mini-program strikes' })
    // a name card of a contact nobody knows, and one with no contact at all
    svc.puppet.postCard(bob, room, { kind: 'contact', contactId: 'wxid_nobody_knows' })
    raw(types.Message.Contact)
    await waitFor(() => strikes().length === 5, { what: 'two name-card strikes' })
    expect(strikes().slice(1).map((l) => l.type)).toEqual(['MiniProgram', 'MiniProgram', 'Contact', 'Contact'])
    // kinds guard does not block: seen (counted for floods), not answered
    raw(types.Message.RedEnvelope)
    raw(types.Message.Location)
    // a card in a room no group matches
    svc.puppet.postCard(bob, other, { kind: 'miniProgram', title: '拼团' })
    await bot.waitForLog((l) => l.msg === 'message in a room no group matches; ignored' && l.room === other.id, 'the unmatched room')

    bob.say('ping').to(room)
    await svc.waitForText(room, 'pong Bob')
    expect(strikes()).toHaveLength(5)
    // (the queue may merge the pong with the warnings waiting before it)
    const said = svc.textsIn(room).join('\n')
    expect(said.split('pong').length - 1).toBe(1)
    expect(said.split('本群不允许').length - 1).toBe(5)
    expect(svc.textsIn(other)).toEqual([])
    expect(bot.logs.filter((l) => l.level >= 50)).toEqual([])
  }, 60_000)
})
