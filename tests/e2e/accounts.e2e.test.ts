import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { MirroredRooms } from '../helpers/MirroredRooms.js'
import { PuppetService } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'

const ROOM = 'fans1@chatroom'
/** Short for the test (the default is 45 s); documented in docs/scale.md. */
const TAKEOVER_S = 5

const config = (live = '') => `accounts:
  - { id: helper1, tokenEnv: SIYU_TOKEN_H1, endpointEnv: SIYU_ENDPOINT_H1 }
  - { id: helper2, tokenEnv: SIYU_TOKEN_H2, endpointEnv: SIYU_ENDPOINT_H2 }
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  takeoverSeconds: ${TAKEOVER_S}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    accounts: [helper1, helper2]
    skills:
      checkin: {}
${live}`

describe('many accounts, end to end over two puppet services (gRPC)', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let svc1: PuppetService
  let svc2: PuppetService
  let mirror: MirroredRooms
  let bot: BotProcess | undefined

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-accounts-'))
    svc1 = await PuppetService.start({ name: '小助手1', id: 'wxid_helper1' })
    svc2 = await PuppetService.start({ name: '小助手2', id: 'wxid_helper2' })
    mirror = new MirroredRooms([svc1, svc2])
    mirror.contact('Alice', 'wxid_alice')
    mirror.contact('Bob', 'wxid_bob')
    mirror.room('粉丝1群', ROOM, ['wxid_alice', 'wxid_bob'])
  }, 30_000)

  afterAll(async () => {
    await bot?.stop().catch(() => {})
    await svc1?.close()
    await svc2?.close()
    await cleanup?.()
  })

  it('only the first account answers; logged out, the second takes over within 60 s, no double answers, the reminder due meanwhile sent once', async () => {
    const configPath = join(dir, 'bot.yaml')
    await writeFile(configPath, config())
    bot = new BotProcess({
      config: configPath,
      data: join(dir, 'data'),
      home: dir,
      env: {
        SIYU_TOKEN_H1: svc1.token,
        SIYU_ENDPOINT_H1: svc1.endpoint,
        SIYU_TOKEN_H2: svc2.token,
        SIYU_ENDPOINT_H2: svc2.endpoint,
        WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT: 'true',
      },
    })
    for (const account of ['helper1', 'helper2']) {
      await bot.waitForLog((l) => l.msg === 'account online' && l.account === account, `${account} online`, 45_000)
    }
    // helper1 serves it (at once, or after a moment when helper2 was quicker to log in)
    await bot.waitForLog(
      (l) => (l.msg === 'room served by account' && l.account === 'helper1') || (l.msg === 'room handed to another account' && l.to === 'helper1'),
      'helper1 serves the room',
    )
    const room1 = mirror.roomIn(svc1, ROOM)
    const room2 = mirror.roomIn(svc2, ROOM)
    const all = (prefix: string) => [...svc1.said, ...svc2.said].filter((s) => s.roomId === ROOM && s.text.includes(prefix))

    // both accounts get Alice's check-in; only helper1 answers
    mirror.say('wxid_alice', '签到', ROOM)
    await svc1.waitForText(room1, 'Alice 签到成功')
    await bot.waitForLog((l) => l.account === 'helper2' && /another account/.test(l.msg), 'helper2 left the message to helper1')
    expect(svc2.textsIn(room2)).toEqual([])

    // helper1 is logged out for good (the service will not log it in again)
    svc1.puppet.account = undefined
    const outAt = Date.now()
    await svc1.puppet.logout('banned in the test')
    // meanwhile a live is added whose reminder falls due inside the grace period
    const start = Math.ceil((outAt + 7_500) / 1000) * 1000
    const startIso = DateTime.fromMillis(start, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })!
    await writeFile(configPath, config(`      live:\n        lives:\n          - { id: e2e, title: 接管直播, start: "${startIso}" }\n        remind: [5s]\n`))
    await bot.waitForLog((l) => l.msg === 'config reloaded', 'the live is in')
    const takeover = await bot.waitForLog((l) => l.msg === 'room taken over by another account' && l.to === 'helper2', 'the takeover', 60_000)
    const tookMs = (takeover.time as number) - outAt
    console.log(`accounts e2e: helper2 took the room over ${tookMs} ms after helper1's logout (takeoverSeconds ${TAKEOVER_S})`)
    expect(tookMs).toBeGreaterThanOrEqual(TAKEOVER_S * 1000 - 100)
    expect(tookMs).toBeLessThan(60_000)

    const queued = await bot.waitForLog((l) => l.msg === 'live reminder queued', 'the reminder fell due')
    expect(queued.time as number, 'the reminder fell due while helper1 was away, before the takeover').toBeLessThan(takeover.time as number)
    const reminder = await svc2.waitForText(room2, '【直播预告】接管直播', 30_000)
    expect(reminder).toMatch(/^【直播预告】接管直播 \d+秒后开播/)
    await svc2.waitForText(room2, '【开播啦】接管直播', 30_000)
    mirror.say('wxid_bob', '签到', ROOM)
    await svc2.waitForText(room2, 'Bob 签到成功')

    // one answer each, one reminder, nothing from helper1 after its logout
    expect(all('Alice 签到成功')).toHaveLength(1)
    expect(all('Bob 签到成功')).toHaveLength(1)
    expect(all('【直播预告】')).toHaveLength(1)
    expect(all('【开播啦】')).toHaveLength(1)
    expect(svc1.said.filter((s) => s.at > outAt)).toEqual([])
    expect(await bot.stop()).toBe(0)
  }, 120_000)
})
