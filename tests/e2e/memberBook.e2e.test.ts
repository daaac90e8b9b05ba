import { describe, expect, it } from 'vitest'
import type { mock } from 'wechaty-puppet-mock'
import { BotWorld } from '../helpers/BotWorld.js'
import { freePort } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'
import { afterAll, beforeAll } from 'vitest'

const TOKEN = 'e2e-members-token-0123456789'

const config = (port: number) => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
console:
  port: ${port}
  tokenEnv: SIYU_TEST_CONSOLE_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { text: "欢迎 {names}", batchSeconds: 1 }
      checkin: {}
      gate:
        keywords: [进粉丝群]
        capacity: 100
        inviteReply: "{name}，已邀请你加入{topic}"
`

/**
 * The member record over the real transport: the bot as a process talking gRPC to a
 * puppet service, members played with the mocker — one joins by the gate's keyword, one is
 * invited by another member, they talk, check in, one leaves — and the console API's list,
 * profile, timeline and churn say what happened.
 */
describe('the member record end to end over wechaty-puppet-service (gRPC)', () => {
  let world: BotWorld
  let base: string
  let room: mock.RoomMock
  let oldFan: mock.ContactMock

  beforeAll(async () => {
    const port = await freePort()
    base = `http://127.0.0.1:${port}`
    world = await BotWorld.create('members-record', config(port))
    oldFan = world.svc.contact('老粉丝', 'wxid_oldfan')
    room = world.svc.room('粉丝1群', [world.svc.contact('老板', 'wxid_boss'), oldFan], 'fans1@chatroom')
    await world.startBot({ env: { SIYU_TEST_CONSOLE_TOKEN: TOKEN } })
    // the first read of the room after the login: who is there was there
    await world.bot!.waitForLog((l) => l.room === room.id && l.present === 2, 'the first read of the room')
  }, 90_000)

  afterAll(async () => world?.close())

  const api = async (path: string) => {
    const res = await fetch(base + path, { headers: { authorization: `Bearer ${TOKEN}` } })
    expect(res.status, path).toBe(200)
    return res.json() as Promise<any>
  }

  it('joins via a gate invite and via a member, talk, a check-in, a leave: the list, the profile’s timeline and churn match', async () => {
    const { svc, bot } = world
    // 小红 asks the gate privately; the bot invites her (room.add): a room-join by the bot
    const red = svc.contact('小红', 'wxid_red')
    red.say('进粉丝群').to(svc.botUser)
    await svc.waitForPrivate(red, '已邀请你加入粉丝1群')
    await waitFor(() => room.payload.memberIdList.includes(red.id), { what: '小红 in the room', timeoutMs: 20_000 })
    // 小明 is added by 老粉丝
    const ming = svc.contact('小明', 'wxid_ming')
    room.add(ming).by(oldFan)
    await svc.waitForText(room, '@小明')
    red.say('大家好，我是小红').to(room)
    red.say('签到').to(room)
    await svc.waitForText(room, '小红 签到成功')
    room.remove(ming).by(ming)
    await bot!.waitForLog((l) => l.msg === 'members changed' && l.event === 'leaves', 'the leave')

    const fans = await api('/api/members?group=fans&sort=name&order=asc')
    const byId = Object.fromEntries(fans.items.map((m: any) => [m.id, m]))
    expect(fans.total).toBe(4)
    expect(byId.wxid_red).toMatchObject({ name: '小红', groups: ['fans'], status: 'in', points: 10, via: '进粉丝群' })
    expect(byId.wxid_red.lastActive).not.toBeNull()
    expect(byId.wxid_ming).toMatchObject({ status: 'left', inviterId: 'wxid_oldfan', groups: [] })
    // present at the first read: in, no join time
    expect(byId.wxid_oldfan).toMatchObject({ status: 'in', joined: null })
    expect((await api('/api/members?via=wxid_oldfan')).items.map((m: any) => m.id)).toEqual(['wxid_ming'])
    expect((await api('/api/members?q=小红&group=fans&status=in&silentDays=0')).items.map((m: any) => m.id)).toEqual(['wxid_red'])

    const timeline = await api('/api/members/wxid_red/timeline')
    expect(timeline.map((e: any) => e.kind)).toEqual(['messages', 'checkin', 'join'])
    expect(timeline[0].detail).toContain('发言 2 条')
    expect(timeline[2].detail).toContain('进粉丝群')
    const profile = await api('/api/members/wxid_oldfan?pool=fans')
    expect(profile.invited).toEqual([expect.objectContaining({ id: 'wxid_ming', name: '小明', group: 'fans' })])

    const churn = await api('/api/churn?group=fans&days=7')
    const today = churn.days.at(-1)
    expect(today).toMatchObject({ joins: 2, leaves: 1, net: 1, members: 3 })
    expect(churn.cohorts.at(-1)).toMatchObject({ joined: 2 })
    // 小明 left within the hour after the bot's last message there: 小红's check-in confirmation
    expect(churn.afterBot).toEqual([expect.objectContaining({ roomId: room.id, skill: 'checkin', kind: 'owed', leaves: 1 })])
  }, 90_000)
})
