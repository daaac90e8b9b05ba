import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { OrderChanged } from '../../skills/shop/console/schemas.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { orderBook } from '../../skills/shop/Orders.js'
import { pointsBook } from '../../src/engine/SkillContext.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'code-cancel-token-0123456789'

/**
 * Cancelling a code order from the API (CONTRACT §7, §8), against the whole App in process
 * (PuppetMock) over real HTTP: a code still waiting in the send queue is withdrawn with the
 * cancel — the member never gets it — and a code already handed to WeChat makes the cancel a
 * 409 with nothing refunded. WeChat is slow here: the test holds the member's first private
 * message at the puppet, so what the queue has behind it waits.
 */
describe('cancelling a code order from the API', () => {
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const room = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id] })
  const said: Array<{ room?: string; to?: string; text: string }> = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push({ room: m.payload.roomId, to: m.payload.listenerId, text: m.text() ?? '' })
  })
  const privately = (id: string) => said.filter((s) => !s.room && s.to === id).map((s) => s.text)
  let release!: () => void
  const held = new Promise<void>((r) => (release = r))

  const call = async (method: string, path: string, body: unknown = {}) => {
    const res = await fetch(base + path, { method, headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
    return { status: res.status, json: (await res.json()) as any }
  }

  beforeAll(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir('siyu-code-cancel-'))
    const codes = join(dir, 'codes.txt')
    await writeFile(codes, 'C1\nC2\nC3\n')
    await writeFile(
      join(dir, 'bot.yaml'),
      `bot:
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${await freePort()}
  tokenEnv: SIYU_TEST_CODE_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      shop:
        items:
          - { id: coupon, name: 20元券, price: 3, delivery: codes, codes: "${codes}" }
`,
    )
    const stdout = new Writable({ write: (_c, _e, cb) => cb() })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_CODE_TOKEN: TOKEN }, log: captured.log, puppet, stdout })
    // the puppet takes its time with Alice's first code: what the queue has behind it waits
    const send = app.runtime.send.bind(app.runtime)
    app.runtime.send = async (to, text, mentionIds) => {
      if (to === alice.id && text.includes('C1')) await held
      return send(to, text, mentionIds)
    }
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
  }, 30_000)

  afterAll(async () => {
    release?.()
    await app?.stop()
    await cleanup?.()
  })

  it('a code that waits is withdrawn (never sent, refunded, never reused); one on its way is a 409 and nothing changes', async () => {
    const step = async (text: string, reply: string) => {
      alice.say(text).to(room)
      await waitFor(() => said.find((s) => s.room === room.id && s.text.includes(reply)), { what: reply })
    }
    await step('签到', 'Alice 签到成功')
    await step('兑换 coupon', '（订单 1）')
    await step('兑换 coupon', '（订单 2）')
    const book = orderBook(app.store, 'fans')
    await waitFor(() => book.get('1')?.sendingAt, { what: 'order 1’s code handed to the puppet' })
    expect(book.get('2')).toMatchObject({ status: 'pending', code: 'C2' })

    const refused = await call('POST', '/api/orders/1/cancel')
    expect(refused.status).toBe(409)
    expect(refused.json.error).toContain('券码已经发给会员')
    expect(book.get('1')!.status).toBe('pending')
    expect(pointsBook(app.store, 'fans').get(alice.id)?.total).toBe(4)

    const r = await call('POST', '/api/orders/2/cancel', { note: '发错了' })
    expect(r.status).toBe(200)
    expect(OrderChanged.parse(r.json)).toMatchObject({ ref: '2@fans', status: 'cancelled', closedBy: 'api', refunded: 3, total: 7, delivered: false })

    release()
    // the notice of the cancel is queued after order 2's code: it arriving means the code never will
    await waitFor(() => privately(alice.id).find((t) => t.includes('【兑换已取消】')), { what: 'Alice told of the cancel' })
    expect(privately(alice.id)).toEqual(['【兑换券码】20元券：C1\n订单 1，请妥善保存，勿转发他人', '【兑换已取消】你兑换的 20元券（订单 2）已取消（原因：发错了），退回 3 分，现有 7 分'])
    await waitFor(() => book.get('1')?.status === 'done', { what: 'order 1 done once its code was delivered' })
    expect(book.get('2')!.deliveredAt).toBeUndefined()
    // C2 stays given: the next order gets C3
    await step('兑换 coupon', '（订单 3）')
    expect(book.get('3')!.code).toBe('C3')
  })
})
