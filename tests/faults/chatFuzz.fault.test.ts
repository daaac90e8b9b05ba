import { FileBox } from 'file-box'
import { types } from 'wechaty'
import { describe, expect, it } from 'vitest'
import type { LogLine } from '../helpers/BotProcess.js'
import { useBotWorld } from '../helpers/BotWorld.js'

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
    alice.say('签到').to(svc.botUser) // a direct message
    await bot.waitForLog(ignored('direct message; ignored (the bot works in groups)'), 'a direct message')

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
