import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { silentLogger } from '../../src/log/logger.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * A burst of 50 messages from 10 members into a room the bot has not loaded yet costs one
 * lookup per room and per member, not one per message: Wechaty readies the room once per
 * event (Room.ready() has no herd guard), so the runtime guards the puppet's lookups. Counted
 * at the puppet (PuppetMock's raw payload calls: what puppet-service makes gRPC calls for).
 */
describe('a burst into a room not loaded yet', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let app: App
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const members = Array.from({ length: 10 }, (_, i) => mocker.createContact({ name: `粉丝${i}`, id: `wxid_fan${i}` }))
  const calls: Array<{ method: string; args: string[] }> = []
  // spies on the instance, under whatever the runtime wraps around them
  for (const method of ['roomRawPayload', 'roomMemberList', 'roomMemberRawPayload', 'contactRawPayload'] as const) {
    const original = (puppet as any)[method].bind(puppet)
    ;(puppet as any)[method] = (...args: string[]) => {
      calls.push({ method, args })
      return original(...args)
    }
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir())
    await writeFile(
      join(dir, 'bot.yaml'),
      'bot: { admins: [wxid_boss], rateLimit: false }\ngroups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills: { checkin: {} }\n',
    )
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log: silentLogger, puppet })
    mocker.login(botUser)
    await app.runtime.ready
  })

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('costs one room load and one lookup per member for 50 messages from 10 members', async () => {
    // created after the login: the bot has never loaded it
    const room = mocker.createRoom({ topic: '粉丝新群', memberIdList: [botUser.id, ...members.map((m) => m.id)] })
    calls.length = 0
    for (let i = 0; i < 50; i++) members[i % 10]!.say(i < 10 ? '签到' : `第 ${i} 条`).to(room)
    await waitFor(() => app.engine.stats.forRoom('fans', room.id).messages === 50, { what: '50 messages handled' })
    expect(app.engine.stats.forRoom('fans', room.id).checkins).toBe(10)

    const of = (method: string) => calls.filter((c) => c.method === method)
    expect(of('roomRawPayload').filter((c) => c.args[0] === room.id)).toHaveLength(1)
    // the room's load, and the member record's first read of it (members it did not know spoke:
    // src/engine/members/Reconciler.ts) — one each, not one per message or per member
    expect(of('roomMemberList').filter((c) => c.args[0] === room.id)).toHaveLength(2)
    // each member's room alias looked up once (not 5 times, once per message)
    const memberLookups = of('roomMemberRawPayload').filter((c) => c.args[0] === room.id)
    expect(new Set(memberLookups.map((c) => c.args[1])).size).toBe(10)
    expect(memberLookups.length).toBeLessThanOrEqual(10)
    // and each contact once (unguarded: 50 room loads × 10 members = 500 contact lookups)
    const contacts = of('contactRawPayload').filter((c) => members.some((m) => m.id === c.args[0]))
    expect(contacts).toHaveLength(members.length)
  })
})
