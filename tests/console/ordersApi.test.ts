import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { OrderChanged, OrderShape } from '../../skills/shop/console/schemas.js'
import { MemberResponse } from '../../src/console/schemas.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { roomsListed } from '../helpers/roomsListed.js'
import { orderBook } from '../../skills/shop/Orders.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'orders-token-0123456789abcdef'

// two shops on two pools: order 1 exists in both (ambiguous), order 2 only in fans
const config = (port: number) => `bot:
  admins: [wxid_boss]
  rateLimit: false
  tags:
    - tag: 十分粉
      when: { points: 10, pool: fans }
console:
  port: ${port}
  tokenEnv: SIYU_TEST_ORDERS_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      tags: {}
      shop:
        items:
          - { id: sample, name: 小样, price: 4, stock: 2, delivery: admin, tag: 已兑小样 }
  - name: vip
    match: { topic: "VIP*" }
    skills:
      checkin: { pool: vip-pool }
      shop:
        items:
          - { id: mask, name: 面膜, price: 6, delivery: admin }
`

/**
 * The shop's orders in the API (CONTRACT §8) against the whole App in process (PuppetMock),
 * over real HTTP on 127.0.0.1: list and filter, done and cancel through the shop's own
 * functions (refund in the ledger, stock back, tag taken back, the member told privately),
 * auth, bad input (400, nothing changed), unknown ids (404), closed orders (409).
 */
describe('orders API', () => {
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const logLines = captured.lines
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const bob = mocker.createContact({ name: 'Bob', id: 'wxid_bob' })
  mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id, bob.id] })
  const vipRoom = mocker.createRoom({ topic: 'VIP群', memberIdList: [botUser.id, alice.id] })
  const said: Array<{ room?: string; to?: string; text: string }> = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push({ room: m.payload.roomId, to: m.payload.listenerId, text: m.text() ?? '' })
  })
  const privately = (id: string) => said.filter((s) => !s.room && s.to === id).map((s) => s.text)

  const call = async (method: string, path: string, o: { body?: unknown; token?: string | null } = {}) => {
    const headers: Record<string, string> = o.token === null ? {} : { authorization: `Bearer ${o.token ?? TOKEN}` }
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body) })
    const text = await res.text()
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text }
  }
  const orders = async (query = '') => OrderShape.array().parse((await call('GET', `/api/orders${query}`)).json)
  const member = async (id: string, pool: string) => MemberResponse.parse((await call('GET', `/api/members/${id}?pool=${pool}`)).json)
  const snapshot = async () => ({ orders: await orders(), alice: await member('wxid_alice', 'fans'), bob: await member('wxid_bob', 'fans'), taken: orderBook(app.store, 'fans').taken('sample') })

  beforeAll(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir('siyu-orders-'))
    await writeFile(join(dir, 'bot.yaml'), config(await freePort()))
    const log = captured.log
    const stdout = new Writable({ write: (_c, _e, cb) => cb() })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_ORDERS_TOKEN: TOKEN }, log, puppet, stdout })
    mocker.login(botUser)
    await app.runtime.ready
    // the start's read of each member list lands before any test compares a record before/after
    await roomsListed(app, [fansRoom.id, vipRoom.id])
    base = app.console!.url
    const step = async (who: mock.ContactMock, text: string, room: mock.RoomMock, reply: string) => {
      who.say(text).to(room)
      await waitFor(() => said.find((s) => s.room === room.id && s.text.includes(reply)), { what: reply })
    }
    await step(alice, '签到', fansRoom, 'Alice 签到成功')
    await step(alice, '兑换 sample', fansRoom, '（订单 1）')
    await step(bob, '签到', fansRoom, 'Bob 签到成功')
    await step(bob, '兑换 sample', fansRoom, '（订单 2）')
    await step(alice, '签到', vipRoom, 'Alice 签到成功')
    await step(alice, '兑换 mask', vipRoom, '（订单 1）')
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('refuses every orders route without the token (401) and changes nothing', async () => {
    const before = await snapshot()
    for (const [method, path] of [['GET', '/api/orders'], ['POST', '/api/orders/2@fans/done'], ['POST', '/api/orders/2@fans/cancel']] as const) {
      expect((await call(method, path, { token: null })).status, `${method} ${path}`).toBe(401)
      expect((await call(method, path, { token: 'wrong-token-0123456789abcdef' })).status, `${method} ${path} wrong token`).toBe(401)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('GET /api/orders: every shop pool, oldest first, with the contract’s fields; filters by status and pool', async () => {
    const all = await orders()
    expect(all.map((o) => o.ref)).toEqual(['1@fans', '2@fans', '1@vip-pool'])
    expect(all[0]).toMatchObject({ id: '1', pool: 'fans', item: 'sample', itemName: '小样', memberId: 'wxid_alice', memberName: 'Alice', status: 'pending', price: 4, delivery: 'admin', group: 'fans', roomId: fansRoom.id })
    expect(Date.now() - Date.parse(all[0]!.at)).toBeLessThan(60_000)
    expect((await orders('?pool=vip-pool')).map((o) => o.ref)).toEqual(['1@vip-pool'])
    expect((await orders('?status=pending')).map((o) => o.ref)).toEqual(['1@fans', '2@fans', '1@vip-pool'])
    expect(await orders('?status=done')).toEqual([])
    expect((await orders('?limit=1')).map((o) => o.ref)).toEqual(['1@fans'])
    for (const bad of ['status=open', 'pool=nope', 'limit=0', 'limit=abc']) {
      const r = await call('GET', `/api/orders?${bad}`)
      expect(r.status, bad).toBe(400)
      expect(typeof r.json.error).toBe('string')
    }
  })

  it('bad input is a 400, an unknown order a 404; nothing changes', async () => {
    const before = await snapshot()
    const ambiguous = await call('POST', '/api/orders/1/done', { body: {} })
    expect(ambiguous.status).toBe(400)
    expect(ambiguous.json.error).toContain('1@fans 或 1@vip-pool')
    for (const [path, body] of [
      ['/api/orders/abc/done', {}],
      ['/api/orders/2/cancel', { notify: 'yes' }],
      ['/api/orders/2/cancel', { note: '' }],
      ['/api/orders/2/cancel', { note: 'x'.repeat(201) }],
      ['/api/orders/2/cancel', { extra: 1 }],
      ['/api/orders/2/done', [1]],
    ] as const) {
      const r = await call('POST', path, { body })
      expect(r.status, `${path} ${JSON.stringify(body)}`).toBe(400)
      expect(typeof r.json.error).toBe('string')
    }
    for (const path of ['/api/orders/99/done', '/api/orders/99@fans/cancel', '/api/orders/1@nope/done', '/api/orders/2@vip-pool/cancel']) {
      const r = await call('POST', path, { body: {} })
      expect(r.status, path).toBe(404)
      expect(r.json.error).toContain('没有订单')
    }
    expect(await snapshot()).toEqual(before)
  })

  it('cancel <id> (the number admins type): points back in the ledger, stock back, tag taken back, the member told privately, an audit line', async () => {
    expect(orderBook(app.store, 'fans').taken('sample')).toBe(2)
    expect(app.engine.tags.names('wxid_bob')).toContain('已兑小样')
    expect((await member('wxid_bob', 'fans')).total).toBe(6)

    // the rule tag Bob earned with 10 points: taken away here, earned again by the refund (as in chat)
    expect((await call('DELETE', `/api/members/wxid_bob/tags/${encodeURIComponent('十分粉')}`)).status).toBe(200)
    const r = await call('POST', '/api/orders/2/cancel', { body: { note: '缺货' } })
    expect(r.status).toBe(200)
    const o = OrderChanged.parse(r.json)
    expect(o).toMatchObject({ id: '2', ref: '2@fans', status: 'cancelled', closedBy: 'api', note: '缺货', refunded: 4, total: 10, left: 1, notified: true })

    const bob = await member('wxid_bob', 'fans')
    expect(bob.total).toBe(10)
    expect(bob.ledger[0]).toMatchObject({ delta: 4, reason: 'refund', note: 'order 2 cancelled by api' })
    expect(orderBook(app.store, 'fans').taken('sample')).toBe(1)
    expect(app.engine.tags.names('wxid_bob')).not.toContain('已兑小样')
    expect(app.engine.tags.of('wxid_bob')['十分粉']).toMatchObject({ source: 'points' })
    expect(await waitFor(() => privately('wxid_bob').find((t) => t.includes('已取消')), { what: 'Bob told privately' })).toBe(
      '【兑换已取消】你兑换的 小样（订单 2）已取消（原因：缺货），退回 4 分，现有 10 分',
    )
    // nothing said in the rooms
    expect(said.filter((s) => s.room && s.text.includes('已取消'))).toEqual([])
    expect(logLines.find((l) => l.audit === true && l.action === 'order.cancel')).toMatchObject({ via: 'api', order: '2', pool: 'fans', member: 'wxid_bob', refunded: 4, total: 10 })
    const again = await call('POST', '/api/orders/2@fans/cancel', { body: {} })
    expect(again.status).toBe(409)
    expect(again.json.error).toContain('已经取消了')
    expect((await call('POST', '/api/orders/2@fans/done')).status).toBe(409)
    expect((await member('wxid_bob', 'fans')).total).toBe(10)
  })

  it('done <id>@<pool>: fulfilled, closed by api, the member told; a second done or a cancel is a 409', async () => {
    const r = await call('POST', '/api/orders/1@vip-pool/done', { body: { notify: false } })
    expect(r.status).toBe(200)
    expect(OrderChanged.parse(r.json)).toMatchObject({ ref: '1@vip-pool', status: 'done', closedBy: 'api', notified: false })
    const fans = await call('POST', '/api/orders/1@fans/done')
    expect(fans.status).toBe(200)
    expect(fans.json).toMatchObject({ ref: '1@fans', status: 'done', notified: true })
    expect(await waitFor(() => privately('wxid_alice').find((t) => t.includes('已完成')), { what: 'Alice told privately' })).toBe('【兑换已完成】你兑换的 小样（订单 1）已处理完成，请留意查收～')
    expect(privately('wxid_alice').filter((t) => t.includes('面膜'))).toEqual([])
    expect((await call('POST', '/api/orders/1@fans/done')).status).toBe(409)
    const cancel = await call('POST', '/api/orders/1@fans/cancel')
    expect(cancel.status).toBe(409)
    expect(cancel.json.error).toContain('已经完成了')
    expect((await member('wxid_alice', 'fans')).total).toBe(6)
    expect(logLines.filter((l) => l.audit === true && l.action === 'order.done').map((l) => [l.via, l.pool, l.order])).toEqual([
      ['api', 'vip-pool', '1'],
      ['api', 'fans', '1'],
    ])
    expect((await orders('?status=pending'))).toEqual([])
    expect((await orders('?status=done')).map((o) => o.ref)).toEqual(['1@fans', '1@vip-pool'])
  })

  it('GET /api/openapi.json lists the orders routes with their schemas', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json
    expect(doc.paths['/api/orders'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['status', 'pool', 'limit']))
    expect(doc.paths['/api/orders/{id}/done'].post).toBeDefined()
    const cancel = doc.paths['/api/orders/{id}/cancel'].post
    expect(Object.keys(cancel.requestBody.content['application/json'].schema.properties)).toEqual(['note', 'notify'])
    expect(cancel.responses['200'].content['application/json'].schema.properties.refunded).toBeDefined()
  })

  it('GET /metrics counts redemptions and pending orders per pool', async () => {
    const text = (await call('GET', '/metrics')).text
    expect(text).toMatch(/^siyu_shop_redemptions\{pool="fans"\} 2$/m)
    expect(text).toMatch(/^siyu_shop_redemptions\{pool="vip-pool"\} 1$/m)
    expect(text).toMatch(/^siyu_shop_orders_pending\{pool="fans"\} 0$/m)
  })

  it('/healthz reads the store’s own health: a failing commit is a 503 with its error, then 200 again', async () => {
    expect((await fetch(`${base}/healthz`)).status).toBe(200)
    const adapter = app.store.adapter
    const commit = adapter.commit
    adapter.commit = () => Promise.reject(new Error("ENOSPC: no space left on device, write '/data/siyu/journal/000007'"))
    try {
      // any write will do: its commit fails
      app.store.set('core/test/healthz', 1)
      const bad = await waitFor(async () => {
        const r = await fetch(`${base}/healthz`)
        return r.status === 503 ? r.json() : undefined
      }, { what: '503 from /healthz' })
      expect(bad).toMatchObject({ ok: false, storeWritable: false, lastError: 'disk full (ENOSPC)' })
      // the whole error, path and all, is in the store's log line
      const line = await waitFor(() => logLines.find((l) => String((l.err as { message?: string } | undefined)?.message ?? '').includes('/data/siyu/journal/000007')), { what: 'the store’s error line' })
      expect(line.level).toBe(50)
    } finally {
      adapter.commit = commit
    }
    await waitFor(async () => (await fetch(`${base}/healthz`)).status === 200, { what: '200 once commits work again' })
  })
})
