import { Writable } from 'node:stream'
import { types } from 'wechaty'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { Sandbox } from '../../../src/sandbox/Sandbox.js'
import { SKILLS } from '../../../skills/index.js'

const CONFIG = `bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills: { guard: {} }
`

/** The sandbox's /link, /mini and /card post real cards: the bot reads them like WeChat's. */
describe('sandbox: /link, /mini, /card', () => {
  it('post a link card, a mini-program card and a name card as the current member', async () => {
    let out = ''
    const sandbox = new Sandbox(parseConfig('bot.yaml', CONFIG, SKILLS), new Writable({ write: (c, _e, done) => ((out += String(c)), done()) }))
    sandbox.puppet.on('error', () => {})
    sandbox.login()
    const posted: string[] = []
    sandbox.puppet.on('message', ({ messageId }) => void posted.push(messageId))
    sandbox.handle('/as 小王')
    sandbox.handle('/link https://spam.example/a 限时 秒杀')
    sandbox.handle('/mini 拼团砍一刀')
    sandbox.handle('/card 代理小李')
    sandbox.handle('/link')
    expect(out).toContain('usage: /link <url> [title]')
    expect(posted).toHaveLength(3)
    const [link, mini, card] = posted as [string, string, string]
    const payload = async (id: string) => sandbox.puppet.messageRawPayload(id) as Promise<{ type: number; talkerId: string; roomId: string }>
    const roomId = sandbox.rooms[0]!.room.id
    expect(await payload(link)).toMatchObject({ type: types.Message.Url, roomId })
    expect(await payload(mini)).toMatchObject({ type: types.Message.MiniProgram, roomId })
    expect(await payload(card)).toMatchObject({ type: types.Message.Contact, roomId })
    const talker = (await payload(link)).talkerId
    expect(sandbox.mocker.ContactMock.load(talker).payload.name).toBe('小王')
    expect(await sandbox.puppet.messageUrl(link)).toEqual({ url: 'https://spam.example/a', title: '限时 秒杀', description: undefined })
    expect(await sandbox.puppet.messageMiniProgram(mini)).toMatchObject({ title: '拼团砍一刀' })
    const named = await sandbox.puppet.messageContact(card)
    expect(sandbox.mocker.ContactMock.load(named).payload.name).toBe('代理小李')
  })
})
