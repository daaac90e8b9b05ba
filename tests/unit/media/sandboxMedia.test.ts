import { Writable } from 'node:stream'
import { FileBox } from 'file-box'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { Sandbox } from '../../../src/sandbox/Sandbox.js'
import { SKILLS } from '../../../skills/index.js'

const CONFIG = `bot: { admins: [wxid_boss], name: 小助手 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
`

/** The sandbox shows what the bot would send: `[图片 群规.png 1 KB]`, `[小程序 积分商城 pages/index]`. */
describe('sandbox: media the bot sends', () => {
  it('reads as what it is, in the room it went to', async () => {
    let out = ''
    const sandbox = new Sandbox(parseConfig('bot.yaml', CONFIG, SKILLS), new Writable({ write: (c, _e, done) => ((out += String(c)), done()) }))
    sandbox.puppet.on('error', () => {})
    sandbox.login()
    const room = sandbox.rooms[0]!
    await sandbox.puppet.messageSendFile(room.room.id, FileBox.fromFile('config/media/群规.png', '群规.png'))
    await sandbox.puppet.messageSendFile(room.room.id, FileBox.fromFile('config/media/价目表.pdf', '价目表.pdf'))
    await sandbox.puppet.messageSendUrl(room.room.id, { url: 'https://example.invalid/live', title: '今晚 8 点直播' })
    await sandbox.puppet.messageSendMiniProgram(room.room.id, { title: '积分商城', pagePath: 'pages/index', appid: 'wx1' })
    expect(out).toContain(`[${room.topic}] 小助手: [图片 群规.png 1 KB]`)
    expect(out).toContain(`[${room.topic}] 小助手: [文件 价目表.pdf 594 B]`)
    expect(out).toContain(`[${room.topic}] 小助手: [链接 今晚 8 点直播 https://example.invalid/live]`)
    expect(out).toContain(`[${room.topic}] 小助手: [小程序 积分商城 pages/index]`)
  })
})
