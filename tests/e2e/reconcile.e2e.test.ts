import { describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  members: { reconcileEvery: 2s }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome:
        text: "欢迎 {names} 加入{topic}"
        batchSeconds: 1
`

/**
 * Pad puppets miss `room-join` for some QR-code joins, and leaves are often silent: here the
 * mock's room gets a member (and loses one) in its payload without any event, as WeChat's
 * list would, and the bot finds both by reading the member list over gRPC.
 */
describe('joins and leaves the puppet does not announce, found over gRPC (wechaty-puppet-service)', () => {
  const used = useBotWorld('reconcile', CONFIG, (svc) => {
    const boss = svc.contact('老板', 'wxid_boss')
    const old = svc.contact('老粉')
    svc.room('粉丝1群', [boss, old], 'fans1@chatroom')
  })

  it('a QR-code join without room-join is found and welcomed; a silent leave is found; #stats counts both', async () => {
    const { svc, bot } = used
    const room = svc.mocker.RoomMock.load('fans1@chatroom')
    // the first read after the login: who is there was there (no join, no welcome)
    await bot.waitForLog((l) => l.msg === 'member list compared: joins and leaves the puppet did not announce recorded' && l.room === room.id && l.present === 2, 'the first read of the room')

    const qr = svc.contact('扫码小美')
    room.payload.memberIdList.push(qr.id) // WeChat's list has her; no room-join event is emitted
    const welcome = await svc.waitForText(room, '欢迎')
    expect(welcome).toContain('@扫码小美')
    await bot.waitForLog((l) => l.msg === 'member list compared: joins and leaves the puppet did not announce recorded' && l.joined === 1, 'the found join')

    const old = svc.mocker.ContactMock.load(room.payload.memberIdList.find((id) => svc.mocker.ContactMock.load(id).payload.name === '老粉')!)
    room.payload.memberIdList.splice(room.payload.memberIdList.indexOf(old.id), 1) // a silent leave
    await bot.waitForLog((l) => l.msg === 'member list compared: joins and leaves the puppet did not announce recorded' && l.left === 1, 'the found leave')

    const boss = svc.mocker.ContactMock.load('wxid_boss')
    boss.say('#stats').to(room)
    const stats = await svc.waitForText(room, '今日数据')
    expect(stats).toContain('入群 1 · 退群 1')
    // one welcome, nothing more
    await waitFor(() => svc.textsIn(room).length >= 2, { what: 'welcome and #stats' })
    expect(svc.textsIn(room).filter((t) => t.includes('欢迎'))).toHaveLength(1)
  }, 60_000)
})
