import { request } from 'node:http'
import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { ConsoleServer } from '../../src/console/ConsoleServer.js'
import { CONSOLE_SECTIONS } from '../../src/console/extensions.js'
import * as CoreSchemas from '../../src/console/schemas.js'
import { LiveCreated, LivesResponse } from '../../skills/live/console/schemas.js'
import { consoleDeps } from '../../src/console/startConsole.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { roomsListed } from '../helpers/roomsListed.js'
import { freePort } from '../helpers/PuppetService.js'
import { silentLogger } from '../../src/log/logger.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

// the live desk's shapes live with the live skill now (skills/live/console/)
const S = { ...CoreSchemas, LiveCreated, LivesResponse }

const TOKEN = 'test-token-0123456789abcdef'

const config = (port: number) => `bot:
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${port}
  tokenEnv: SIYU_TEST_CONSOLE_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      live: {}
      autoreply:
        ai: { fallbackReply: "稍后请工作人员回复你" }
  - name: vip
    match: { topic: "VIP*" }
    skills:
      checkin: { pool: vip-pool }
      live: {}
  - name: quiet
    match: { topic: "安静*" }
    skills:
      checkin: {}
      # a skill's console section is on while a group has the skill: the orders and removals sections
      guard: {}
      shop:
        items:
          - { id: sample, name: 小样, price: 5, delivery: admin }
`

/**
 * The console's API against the whole App in process (PuppetMock), over real HTTP on
 * 127.0.0.1: every route, its auth, bad input (400 and nothing changed), unknown ids (404),
 * and the effect in the chat.
 */
describe('console API', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const logLines = captured.lines
  const rawLog = captured.raw
  const terminal: string[] = []
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const bob = mocker.createContact({ name: 'Bob', id: 'wxid_bob' })
  // the admin the hand-offs are told about in private
  mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id, bob.id] })
  const vipRoom = mocker.createRoom({ topic: 'VIP群', memberIdList: [botUser.id, alice.id] })
  const said: Array<{ room?: string; text: string }> = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push({ room: m.payload.roomId, text: m.text() ?? '' })
  })
  const extensionSection = {
    id: 'orders-demo',
    title: '订单 Orders (test)',
    routes: (api: Parameters<NonNullable<(typeof CONSOLE_SECTIONS)[number]['routes']>>[0]) => {
      api.app.get('/api/orders-demo', () => [{ id: 'o1' }])
    },
    page: join(process.cwd(), 'src/console/web/lib.js'),
  }

  const bearer = (token = TOKEN) => ({ authorization: `Bearer ${token}` })
  const call = async (method: string, path: string, o: { body?: unknown; headers?: Record<string, string> } = {}) => {
    const headers: Record<string, string> = { ...bearer(), ...o.headers }
    if (o.body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(base + path, { method, headers, body: o.body === undefined ? undefined : JSON.stringify(o.body), redirect: 'manual' })
    const text = await res.text()
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, headers: res.headers }
  }
  const members = () => call('GET', '/api/members/wxid_alice?pool=fans')

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-console-'))
    const port = await freePort()
    await writeFile(join(dir, 'bot.yaml'), config(port))
    CONSOLE_SECTIONS.push(extensionSection)
    const log = captured.log
    const stdout = new Writable({
      write(chunk, _enc, cb) {
        terminal.push(String(chunk))
        cb()
      },
    })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_CONSOLE_TOKEN: TOKEN }, log, puppet, stdout })
    mocker.login(botUser)
    await app.runtime.ready
    // the start's read of each member list lands before any test compares a record before/after
    await roomsListed(app, [fansRoom.id, vipRoom.id])
    base = app.console!.url
    // a check-in and a question the bot hands off (there is no model)
    alice.say('签到').to(fansRoom)
    await waitFor(() => said.find((s) => s.text.includes('签到成功')), { what: 'the check-in reply' })
    alice.say('@小助手 什么时候发货？', [botUser]).to(fansRoom)
    await waitFor(() => said.find((s) => s.text.includes('稍后请工作人员回复你')), { what: 'the hand-off fallback' })
  }, 30_000)

  afterAll(async () => {
    CONSOLE_SECTIONS.splice(CONSOLE_SECTIONS.indexOf(extensionSection), 1)
    await app?.stop()
    await cleanup?.()
  })

  const everyRoute: Array<[string, string, unknown?]> = [
    ['GET', '/api/groups'],
    ['GET', '/api/groups/fans'],
    ['GET', '/api/stats?group=fans&days=30'],
    ['GET', '/api/lives'],
    ['POST', '/api/lives', { groups: ['fans'], title: 'x', start: '2099-01-01 20:00' }],
    ['DELETE', '/api/lives/a1'],
    ['GET', '/api/handoffs?status=open'],
    ['POST', '/api/handoffs/h1/reply', { text: 'hi' }],
    ['POST', '/api/handoffs/h1/close'],
    ['GET', '/api/members/wxid_alice'],
    ['POST', '/api/members/wxid_alice/points', { pool: 'fans', delta: 1, reason: 'x' }],
    ['POST', '/api/members/wxid_alice/tags/VIP'],
    ['DELETE', '/api/members/wxid_alice/tags/VIP'],
    ['GET', '/api/session'],
    ['GET', '/api/orders-demo'],
    ['GET', '/metrics'],
  ]

  it('prints where the console is, and never the token', () => {
    expect(terminal.join('')).toContain(`控制台 Console: ${base}`)
    expect(terminal.join('')).not.toContain(TOKEN)
  })

  it('refuses every API route without the token or with a wrong one (401), and changes nothing', async () => {
    const before = (await members()).json
    for (const [method, path, body] of everyRoute) {
      const none = await fetch(base + path, { method, headers: body ? { 'content-type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined })
      expect(none.status, `${method} ${path} without a token`).toBe(401)
    }
    // fewer than the failed-login limit (10 per address)
    for (const [method, path, body] of everyRoute.slice(0, 6)) {
      const wrong = await call(method, path, { body, headers: bearer('wrong-token-0123456789abcdef') })
      expect(wrong.status, `${method} ${path} with a wrong token`).toBe(401)
    }
    // odd spellings of a path reach no route without the token either
    for (const path of ['/%61pi/groups', '/api/%67roups', '//api/groups', '/API/groups', '/api/groups/', '/metrics/']) {
      const res = await fetch(base + path)
      expect([401, 404], path).toContain(res.status)
      if (res.status === 200) throw new Error(`${path} answered without a token`)
    }
    expect((await members()).json).toEqual(before)
    expect((await call('GET', '/api/lives')).json).toEqual([])
  })

  it('serves /healthz without a token: 200 while logged in and the store is writable, 503 otherwise', async () => {
    const res = await fetch(`${base}/healthz`)
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ ok: true, connected: true, loggedIn: true, queueDepth: expect.any(Number), storeWritable: true })
    const store = app.store as unknown as { health?: () => unknown }
    store.health = () => ({ writable: false, lastError: "ENOSPC: no space left on device, open '/srv/secret-brand/data/journal/000042'", failingSince: Date.now() })
    try {
      const bad = await fetch(`${base}/healthz`)
      expect(bad.status).toBe(503)
      const body = await bad.text()
      // a short cause for anyone who asks; never the path (the whole error is in the log)
      expect(JSON.parse(body)).toMatchObject({ ok: false, storeWritable: false, lastError: 'disk full (ENOSPC)' })
      expect(body).not.toContain('secret-brand')
      store.health = () => ({ writable: false, lastError: 'password authentication failed for user "siyu_prod"', failingSince: Date.now() })
      const pg = await (await fetch(`${base}/healthz`)).text()
      expect(JSON.parse(pg)).toMatchObject({ lastError: 'store writes failing (see the log)' })
      expect(pg).not.toContain('siyu_prod')
    } finally {
      delete store.health
    }
  })

  it('GET /api/groups: groups, rooms with member counts, today’s numbers', async () => {
    const { status, json } = await call('GET', '/api/groups')
    expect(status).toBe(200)
    const groups = S.GroupsResponse.parse(json)
    expect(groups.map((g) => g.name)).toEqual(['fans', 'vip', 'quiet'])
    const fans = groups[0]!
    expect(fans.rooms).toEqual([{ id: fansRoom.id, topic: '粉丝1群', members: 3 }])
    expect(fans.today).toMatchObject({ checkins: 1, handedOff: 1 })
    expect(fans.today.messages).toBeGreaterThanOrEqual(2)
    expect(fans.openHandoffs).toBe(1)
    expect(groups[1]!.pool).toBe('vip-pool')
    expect(groups[2]!.rooms).toEqual([])
  })

  it('GET /api/groups/<name>: leaderboard and upcoming lives; unknown group 404', async () => {
    const r = await call('GET', '/api/groups/fans')
    const detail = S.GroupDetailResponse.parse(r.json)
    expect(detail.leaderboard).toEqual([{ rank: 1, id: 'wxid_alice', name: 'Alice', total: 10, streak: 1 }])
    expect((await call('GET', '/api/groups/nope')).status).toBe(404)
  })

  it('GET /api/stats: N days oldest first, today holds the real counts; bad days 400; unknown group 404', async () => {
    const r = await call('GET', '/api/stats?group=fans&days=30')
    expect(r.status).toBe(200)
    const stats = S.StatsResponse.parse(r.json)
    expect(stats.group).toBe('fans')
    expect(stats.days).toHaveLength(30)
    const today = app.engine.time.dayKey(Date.now())
    expect(stats.days.at(-1)).toMatchObject({ day: today, checkins: 1, handedOff: 1, joins: 0 })
    expect(stats.days[0]!.day < stats.days[1]!.day).toBe(true)
    expect(stats.days.slice(0, -1).every((d) => d.messages === 0)).toBe(true)
    expect((await call('GET', '/api/stats?group=fans')).json.days).toHaveLength(30)
    for (const bad of ['days=0', 'days=abc', 'days=400', 'days=1.5']) {
      const b = await call('GET', `/api/stats?group=fans&${bad}`)
      expect(b.status, bad).toBe(400)
      expect(b.json.error).toMatch(/days/)
    }
    expect((await call('GET', '/api/stats')).status).toBe(400)
    expect((await call('GET', '/api/stats?group=nope')).status).toBe(404)
  })

  it('lives: add to two groups at once (one id), list, cancel; bad input 400 and nothing added; unknown id 404', async () => {
    const bad: unknown[] = [
      { groups: ['fans', 'nope'], title: '新品', start: '2099-01-01 20:00' },
      { groups: ['fans', 'quiet'], title: '新品', start: '2099-01-01 20:00' },
      { groups: ['fans'], title: '新品', start: '2020-01-01 20:00' },
      { groups: ['fans'], title: '新品', start: 'tomorrow' },
      { groups: ['fans'], title: '', start: '2099-01-01 20:00' },
      { groups: [], title: '新品', start: '2099-01-01 20:00' },
      { groups: ['fans', 'fans'], title: '新品', start: '2099-01-01 20:00' },
      { groups: ['fans'], title: '新品', start: '2099-01-01 20:00', extra: 1 },
      { groups: ['fans'], title: 'x'.repeat(101), start: '2099-01-01 20:00' },
    ]
    for (const body of bad) {
      const r = await call('POST', '/api/lives', { body })
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(typeof r.json.error).toBe('string')
    }
    const notJson = await fetch(`${base}/api/lives`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: '{"groups":' })
    expect(notJson.status).toBe(400)
    expect((await call('GET', '/api/lives')).json).toEqual([])
    expect(app.engine.jobs.planner('live', 'fans').list()).toEqual([])

    const created = await call('POST', '/api/lives', {
      body: { groups: ['fans', 'vip'], title: '双十一新品首发', start: '2099-11-11 20:00', link: 'https://example.invalid/live', preview: '面霜\n精华' },
    })
    expect(created.status).toBe(201)
    expect(S.LiveCreated.parse(created.json)).toEqual({ id: 'a1', groups: ['fans', 'vip'] })
    const listed = S.LivesResponse.parse((await call('GET', '/api/lives')).json)
    expect(listed).toEqual([{ id: 'a1', groups: ['fans', 'vip'], title: '双十一新品首发', start: '2099-11-11T20:00:00+08:00', link: 'https://example.invalid/live', source: 'command' }])
    // the same schedule #live add makes: the reminders and the start, in each group
    for (const group of ['fans', 'vip']) {
      expect(app.engine.jobs.planner('live', group).list().map((j) => j.id).sort()).toEqual(['a:a1|remind-10m', 'a:a1|remind-1h', 'a:a1|start'])
    }
    expect(S.GroupDetailResponse.parse((await call('GET', '/api/groups/vip')).json).lives).toMatchObject([{ id: 'a1', title: '双十一新品首发' }])

    expect((await call('DELETE', '/api/lives/a9')).status).toBe(404)
    const gone = await call('DELETE', '/api/lives/a1')
    expect(gone.status).toBe(200)
    expect(gone.json).toEqual({ id: 'a1', groups: ['fans', 'vip'] })
    expect((await call('GET', '/api/lives')).json).toEqual([])
    for (const group of ['fans', 'vip']) {
      expect(app.engine.jobs.planner('live', group).list().every((j) => j.state === 'cancelled')).toBe(true)
    }
    // the next live gets an id free in both groups
    const next = await call('POST', '/api/lives', { body: { groups: ['vip'], title: '第二场', start: '2099-12-12 20:00' } })
    expect(next.json.id).toBe('a2')
    expect((await call('DELETE', '/api/lives/a2')).status).toBe(200)
  })

  it('hand-offs: listed with who, where, when, what; reply is said in the room @ the member and closes it', async () => {
    const open = S.HandoffShape.array().parse((await call('GET', '/api/handoffs?status=open')).json)
    expect(open).toHaveLength(1)
    const h = open[0]!
    expect(h).toMatchObject({ id: 'h1', group: 'fans', roomId: fansRoom.id, roomTopic: '粉丝1群', memberId: 'wxid_alice', memberName: 'Alice', text: '什么时候发货？', reason: 'model-off', reasonText: '未接入 AI 模型', status: 'open' })
    expect(Date.now() - Date.parse(h.at)).toBeLessThan(60_000)

    for (const body of [{}, { text: '' }, { text: '   ' }, { text: 'x'.repeat(1001) }, { text: 1 }, { text: 'ok', close: 'yes' }]) {
      expect((await call('POST', '/api/handoffs/h1/reply', { body })).status, JSON.stringify(body)).toBe(400)
    }
    expect((await call('GET', '/api/handoffs?status=bogus')).status).toBe(400)
    expect((await call('POST', '/api/handoffs/h99/reply', { body: { text: '你好' } })).status).toBe(404)
    expect((await call('POST', '/api/handoffs/h99/close')).status).toBe(404)
    expect((await call('GET', '/api/handoffs?status=open')).json).toHaveLength(1)

    const r = await call('POST', '/api/handoffs/h1/reply', { body: { text: '今天下午发货，请留意物流～' } })
    expect(r.status).toBe(200)
    expect(r.json).toMatchObject({ id: 'h1', status: 'closed', replies: [{ text: '今天下午发货，请留意物流～', by: 'api' }] })
    const reply = await waitFor(() => said.find((s) => s.text.includes('今天下午发货')), { what: 'the reply in the room' })
    expect(reply).toEqual({ room: fansRoom.id, text: '@Alice\u2005今天下午发货，请留意物流～' })
    expect((await call('GET', '/api/handoffs?status=open')).json).toEqual([])
    expect((await call('GET', '/api/handoffs?status=closed')).json.map((x: { id: string }) => x.id)).toEqual(['h1'])

    // another question, closed without a reply
    alice.say('@小助手 可以退货吗', [botUser]).to(fansRoom)
    const h2 = await waitFor(async () => (await call('GET', '/api/handoffs?status=open')).json[0], { what: 'the second hand-off' })
    expect(h2).toMatchObject({ id: 'h2', text: '可以退货吗' })
    const closed = await call('POST', '/api/handoffs/h2/close')
    expect(closed.json).toMatchObject({ id: 'h2', status: 'closed', replies: [] })
    expect((await call('GET', '/api/handoffs')).json.map((x: { id: string }) => x.id)).toEqual(['h2', 'h1'])
  })

  it('members: points per pool, ledger, tags; adjust never below zero; bad input 400 and no change; unknown 404', async () => {
    const m = S.MemberResponse.parse((await members()).json)
    expect(m).toMatchObject({ id: 'wxid_alice', name: 'Alice', pool: 'fans', total: 10, streak: 1, tags: [] })
    expect(m.pools.map((p) => [p.pool, p.total])).toEqual([
      ['fans', 10],
      ['vip-pool', 0],
      ['quiet', 0],
    ])
    expect(m.ledger).toMatchObject([{ delta: 10, reason: 'checkin', group: 'fans' }])
    expect((await call('GET', '/api/members/wxid_nobody')).status).toBe(404)
    expect((await call('GET', '/api/members/wxid_alice?pool=nope')).status).toBe(400)

    const before = (await members()).json
    const bad: unknown[] = [
      { pool: 'fans', delta: -11, reason: '扣分' },
      { pool: 'fans', delta: 0, reason: 'zero' },
      { pool: 'fans', delta: 1.5, reason: 'half' },
      { pool: 'fans', delta: '5', reason: 'text' },
      { pool: 'nope', delta: 5, reason: 'pool' },
      { pool: 'fans', delta: 5, reason: '' },
      { pool: 'fans', delta: 5 },
      { pool: 'fans', delta: 5, reason: 'x', by: 'me' },
    ]
    for (const body of bad) {
      const r = await call('POST', '/api/members/wxid_alice/points', { body })
      expect(r.status, JSON.stringify(body)).toBe(400)
    }
    expect((await call('POST', '/api/members/wxid_alice/points', { body: bad[0] })).json.error).toContain('积分不能为负')
    expect((await members()).json).toEqual(before)

    const plus = await call('POST', '/api/members/wxid_alice/points', { body: { pool: 'fans', delta: 5, reason: '直播抽奖' } })
    expect(plus.status).toBe(200)
    expect(plus.json).toMatchObject({ total: 15 })
    const minus = await call('POST', '/api/members/wxid_alice/points', { body: { pool: 'fans', delta: -15, reason: '兑换小样' } })
    expect(minus.json).toMatchObject({ total: 0 })
    expect(minus.json.ledger.slice(0, 2)).toMatchObject([
      { delta: -15, reason: 'adjust', note: 'api: 兑换小样' },
      { delta: 5, reason: 'adjust', note: 'api: 直播抽奖' },
    ])
    // the ledger still adds up to the total
    expect(minus.json.ledger.reduce((n: number, e: { delta: number }) => n + e.delta, 0)).toBe(0)

    const tagged = await call('POST', '/api/members/wxid_alice/tags/VIP')
    expect(S.TagResponse.parse(tagged.json)).toEqual({ id: 'wxid_alice', tag: 'VIP', changed: true, tags: ['VIP'] })
    expect((await call('POST', '/api/members/wxid_alice/tags/VIP')).json.changed).toBe(false)
    expect(app.engine.tags.of('wxid_alice').VIP).toMatchObject({ source: 'api', by: 'api' })
    expect((await call('POST', `/api/members/wxid_alice/tags/${encodeURIComponent('two words')}`)).status).toBe(400)
    expect((await call('POST', `/api/members/wxid_alice/tags/${'长'.repeat(21)}`)).status).toBe(400)
    expect((await members()).json.tags).toEqual(['VIP'])
    expect((await call('DELETE', '/api/members/wxid_alice/tags/VIP')).json).toMatchObject({ changed: true, tags: [] })
    expect((await call('DELETE', '/api/members/wxid_alice/tags/VIP')).status).toBe(404)
    // tags named like Object.prototype's keys are tags like any other
    for (const tag of ['constructor', 'toString', '__proto__']) {
      expect((await call('DELETE', `/api/members/wxid_alice/tags/${tag}`)).status, `${tag} never set`).toBe(404)
      expect((await call('POST', `/api/members/wxid_alice/tags/${tag}`)).json, tag).toMatchObject({ changed: true })
    }
    expect((await members()).json).toMatchObject({ tags: ['__proto__', 'constructor', 'toString'], tagMarks: { constructor: { source: 'api' }, ['__proto__']: { source: 'api' } } })
    for (const tag of ['constructor', 'toString', '__proto__']) expect((await call('DELETE', `/api/members/wxid_alice/tags/${tag}`)).json.changed).toBe(true)
    // a contact known by tags alone is a member too (the brand's CRM tags people before they check in)
    await call('POST', '/api/members/wxid_newcomer/tags/潜客')
    expect((await call('GET', '/api/members/wxid_newcomer')).json).toMatchObject({ id: 'wxid_newcomer', total: 0, tags: ['潜客'] })
  })

  it('a browser session: the cookie (HttpOnly, SameSite=Strict) and the secret of the login response are both needed, on reads too; changes need a same origin', async () => {
    const wrong = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'nope-nope-nope-nope' }) })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) })
    expect(login.status).toBe(200)
    const { secret } = (await login.json()) as { secret: string }
    expect(secret).toMatch(/^[\w-]{40,}$/)
    const setCookie = login.headers.get('set-cookie')!
    expect(setCookie).toMatch(/^siyu_session=[\w-]{20,};/)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    // served over plain http: no Secure (the browser would drop it)
    expect(setCookie).not.toContain('Secure')
    expect(setCookie).not.toContain(secret)
    const cookie = setCookie.split(';')[0]!
    const asBrowser = (method: string, path: string, headers: Record<string, string> = {}) => fetch(base + path, { method, headers: { cookie, ...headers } })
    const withSecret = { 'x-csrf-token': secret }

    // the cookie alone — what a program on another port of 127.0.0.1 receives — opens nothing
    for (const path of ['/api/session', '/api/groups', '/api/members/wxid_alice', '/metrics']) {
      expect((await asBrowser('GET', path)).status, path).toBe(401)
      expect((await asBrowser('GET', path, { 'x-csrf-token': 'forged' })).status, `${path} forged`).toBe(401)
    }
    const session = await (await asBrowser('GET', '/api/session', withSecret)).json()
    expect(session).toEqual({
      via: 'console',
      sections: expect.arrayContaining([
        { id: 'orders', title: '订单 Orders', module: '/ext/orders.js' },
        { id: 'removals', title: '移出记录 Removals', module: '/ext/removals.js' },
        { id: 'orders-demo', title: '订单 Orders (test)', module: '/ext/orders-demo.js' },
      ]),
    })
    expect((await asBrowser('GET', '/api/groups', withSecret)).status).toBe(200)

    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台')).status).toBe(401)
    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台', { 'x-csrf-token': 'forged' })).status).toBe(401)
    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台', { ...withSecret, origin: 'http://evil.example' })).status).toBe(403)
    expect((await members()).json.tags).toEqual([])
    const ok = await asBrowser('POST', `/api/members/wxid_alice/tags/${encodeURIComponent('控制台')}`, { ...withSecret, origin: base })
    expect(ok.status).toBe(200)
    expect(app.engine.tags.of('wxid_alice')['控制台']).toMatchObject({ source: 'console' })

    // a Host this console does not answer to (DNS rebinding) is refused
    const rebound = await new Promise<number>((resolve, reject) => {
      const u = new URL(`${base}/api/groups`)
      request({ host: u.hostname, port: u.port, path: u.pathname, headers: { ...bearer(), host: 'attacker.example' } }, (res) => {
        res.resume()
        resolve(res.statusCode!)
      })
        .on('error', reject)
        .end()
    })
    expect(rebound).toBe(403)

    // logging out passes the same checks: the cookie alone or another origin cannot end it
    expect((await asBrowser('POST', '/logout')).status).toBe(401)
    expect((await asBrowser('POST', '/logout', { ...withSecret, origin: 'http://evil.example' })).status).toBe(403)
    expect((await asBrowser('GET', '/api/groups', withSecret)).status).toBe(200)
    expect((await asBrowser('POST', '/logout', { ...withSecret, origin: base })).status).toBe(200)
    expect((await asBrowser('GET', '/api/groups', withSecret)).status).toBe(401)
  })

  it('every change (each POST, PUT, PATCH and DELETE route the API documents) is refused to the cookie without its secret (401) and to another origin (403), and changes nothing', async () => {
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) })
    const { secret } = (await login.json()) as { secret: string }
    const cookie = login.headers.get('set-cookie')!.split(';')[0]!
    // what each change would act on, were it let through: a tag and a live that exist
    const tag = '跨站靶'
    expect((await call('POST', `/api/members/wxid_alice/tags/${encodeURIComponent(tag)}`)).status).toBe(200)
    const live = await call('POST', '/api/lives', { body: { groups: ['fans'], title: '跨站测试', start: '2099-10-10 20:00' } })
    expect(live.status).toBe(201)
    const liveId = live.json.id as string

    const doc = (await call('GET', '/api/openapi.json')).json as { paths: Record<string, Record<string, unknown>> }
    const changes = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops)
        .filter((m) => ['post', 'put', 'patch', 'delete'].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path })),
    )
    expect(changes.map((c) => `${c.method} ${c.path}`)).toEqual(expect.arrayContaining(['DELETE /api/members/{contactId}/tags/{tag}', 'DELETE /api/lives/{id}', 'POST /api/lives']))
    const url = (path: string) =>
      path.replace(/\{(\w+)\}/g, (_, name: string) =>
        name === 'contactId' ? 'wxid_alice' : name === 'tag' ? encodeURIComponent(tag) : name === 'group' ? 'quiet' : path.startsWith('/api/lives') ? liveId : '1',
      )
    // a body each would take, so that nothing but the guard stands in the way
    const bodies: Record<string, unknown> = {
      '/api/lives': { groups: ['fans'], title: '不该出现', start: '2099-10-11 20:00' },
      '/api/members/{contactId}/points': { pool: 'fans', delta: 100, reason: '跨站' },
      '/api/handoffs/{id}/reply': { text: '不该说' },
    }
    const send = (c: { method: string; path: string }, headers: Record<string, string>) =>
      fetch(base + url(c.path), {
        method: c.method,
        headers: { cookie, ...(c.method === 'DELETE' ? {} : { 'content-type': 'application/json' }), ...headers },
        body: c.method === 'DELETE' ? undefined : JSON.stringify(bodies[c.path] ?? {}),
      })
    const snapshot = () => {
      const all: Array<[string, unknown]> = []
      app.store.each('', (dir, leaf, value) => all.push([`${dir}/${leaf}`, value]))
      return JSON.stringify(all.sort(([a], [b]) => (a < b ? -1 : 1)))
    }
    const storeBefore = snapshot()
    const saidBefore = said.length

    for (const c of changes) {
      const what = `${c.method} ${url(c.path)}`
      // what a page on another site, or a program on another port of 127.0.0.1, can send: the cookie
      expect((await send(c, {})).status, `${what} with the cookie alone`).toBe(401)
      expect((await send(c, { 'x-csrf-token': 'forged', origin: 'http://evil.example' })).status, `${what} with a forged secret`).toBe(401)
      // the right secret from another origin
      expect((await send(c, { 'x-csrf-token': secret, origin: 'http://evil.example' })).status, `${what} from another origin`).toBe(403)
    }
    await app.store.durable()
    expect(snapshot()).toBe(storeBefore)
    expect(said.length).toBe(saidBefore)
    expect((await call('GET', '/api/members/wxid_alice')).json.tags).toContain(tag)
    expect((await call('GET', '/api/lives')).json.map((l: { id: string }) => l.id)).toContain(liveId)

    // the same DELETEs from the console's own page go through: the refusals above were the guard's
    const own = { 'x-csrf-token': secret, origin: base }
    expect((await send({ method: 'DELETE', path: '/api/members/{contactId}/tags/{tag}' }, own)).status).toBe(200)
    expect((await send({ method: 'DELETE', path: '/api/lives/{id}' }, own)).status).toBe(200)
    expect((await call('GET', '/api/members/wxid_alice')).json.tags).not.toContain(tag)
    expect((await call('GET', '/api/lives')).json.map((l: { id: string }) => l.id)).not.toContain(liveId)
  })

  it('a skill can contribute a console section: its route is behind the same auth, its page is served', async () => {
    expect((await call('GET', '/api/orders-demo')).json).toEqual([{ id: 'o1' }])
    const page = await fetch(`${base}/ext/orders-demo.js`)
    expect(page.status).toBe(200)
    expect(page.headers.get('content-type')).toContain('javascript')
  })

  it('serves the page, its scripts and ECharts from node_modules, with a strict CSP', async () => {
    const index = await fetch(`${base}/`)
    expect(index.status).toBe(200)
    const html = await index.text()
    expect(html).toContain('运营控制台')
    expect(index.headers.get('content-security-policy')).toContain("script-src 'self'")
    expect(html).not.toMatch(/https?:\/\//)
    const echarts = await fetch(`${base}/vendor/echarts/echarts.esm.min.mjs`)
    expect(echarts.status).toBe(200)
    expect((await echarts.text()).length).toBeGreaterThan(500_000)
    expect((await fetch(`${base}/vendor/echarts/../package.json`)).status).toBe(404)
  })

  it('GET /api/openapi.json is generated from the route schemas', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json
    expect(doc.openapi).toMatch(/^3\./)
    for (const p of ['/api/groups', '/api/stats', '/api/lives', '/api/lives/{id}', '/api/handoffs', '/api/handoffs/{id}/reply', '/api/handoffs/{id}/close', '/api/members/{contactId}', '/api/members/{contactId}/points', '/api/members/{contactId}/tags/{tag}']) {
      expect(doc.paths[p], p).toBeDefined()
    }
    const body = doc.paths['/api/lives'].post.requestBody.content['application/json'].schema
    expect(body.required).toEqual(expect.arrayContaining(['groups', 'title', 'start']))
    expect(body.properties.start.description).toContain('bot.timezone')
    expect(doc.paths['/api/members/{contactId}/points'].post.requestBody.content['application/json'].schema.properties.delta.type).toBe('integer')
  })

  it('GET /metrics: Prometheus text with the bot’s counters', async () => {
    const r = await call('GET', '/metrics')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toContain('text/plain')
    const n = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(r.text)?.[1])
    expect(n('siyu_messages_seen_total')).toBeGreaterThanOrEqual(3)
    expect(n('siyu_checkins_total')).toBe(1)
    expect(n('siyu_handoffs_total')).toBe(2)
    expect(n('siyu_replies_sent_total')).toBeGreaterThanOrEqual(4)
    expect(n('siyu_send_queue_depth')).toBe(0)
    expect(n('siyu_send_latency_seconds_count')).toBeGreaterThanOrEqual(4)
    expect(n('siyu_store_commit_seconds_count')).toBeGreaterThanOrEqual(1)
    expect(r.text).toContain('siyu_removals_total 0')
    expect(r.text).toMatch(/siyu_group_events_total\{group="fans",counter="checkins"\} 1/)
  })

  it('every change is an audit line naming console or api; no secret in any log line', () => {
    const audits = logLines.filter((l) => l.audit === true && (l.via === 'api' || l.via === 'console'))
    const actions = audits.map((l) => `${l.via} ${l.action}`)
    expect(actions).toEqual(
      expect.arrayContaining(['api live.add', 'api live.cancel', 'api handoff.reply', 'api handoff.close', 'api points.adjust', 'api tag.add', 'api tag.remove', 'console tag.add']),
    )
    expect(audits.find((l) => l.action === 'points.adjust')).toMatchObject({ member: 'wxid_alice', pool: 'fans', delta: 5, reason: '直播抽奖' })
    expect(rawLog.join('\n')).not.toContain(TOKEN)
  })

  /** A console of its own on a clock the test moves (sessions, codes and the failed-login window read it). */
  async function ownServer(o: { token?: string; trustProxy?: boolean } = {}) {
    const announced: Array<{ url: string; why: string }> = []
    let now = Date.now()
    const clock = { now: () => now, after: () => ({ cancel() {} }), at: () => ({ cancel() {} }) }
    const server = new ConsoleServer(consoleDeps({ ...app, getConfig: app.config, clock, log: silentLogger }), {
      host: '127.0.0.1',
      port: 0,
      token: o.token,
      trustProxy: o.trustProxy,
      announce: (url, why) => announced.push({ url, why }),
    })
    const url = await server.start()
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(url + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) })
    const loginWith = async (body: unknown, headers: Record<string, string> = {}) => {
      const r = await post('/login', body, headers)
      const json = (await r.json()) as { secret?: string; expired?: boolean; error?: string }
      const setCookie = r.headers.get('set-cookie') ?? ''
      return { status: r.status, json, setCookie, session: { cookie: setCookie.split(';')[0]!, 'x-csrf-token': json.secret ?? '' } }
    }
    return { server, url, announced, post, loginWith, advance: (ms: number) => (now += ms) }
  }

  it('without a token: a one-time login link (the page exchanges it by POST), once, within 10 minutes; a fresh one is announced', async () => {
    const s = await ownServer()
    try {
      const link = s.server.loginUrl()
      expect(link).toMatch(new RegExp(`^${s.url}/login\\?code=[\\w-]{40,}$`))
      const code = new URL(link).searchParams.get('code')!
      // opening the link only serves the page that makes the exchange: a link preview spends nothing
      const page = await fetch(link, { redirect: 'manual' })
      expect(page.status).toBe(200)
      expect(page.headers.get('set-cookie')).toBeNull()
      expect(await page.text()).toContain('login.js')
      const first = await s.loginWith({ code })
      expect(first.status).toBe(200)
      expect(first.json.secret).toMatch(/^[\w-]{40,}$/)
      expect((await fetch(`${s.url}/api/groups`, { headers: first.session })).status).toBe(200)
      // used once: the same code no longer works; the next one went where the first one did
      expect((await s.loginWith({ code })).status).toBe(401)
      expect(s.announced.map((a) => a.why)).toEqual(['next'])
      // with no token set, no bearer and no token login works either
      expect((await fetch(`${s.url}/api/groups`, { headers: { authorization: 'Bearer ' } })).status).toBe(401)
      expect((await s.loginWith({ token: '' })).status).toBe(401)

      // a code is good for 10 minutes: past that it is refused, and a fresh one is announced
      const late = new URL(s.announced[0]!.url).searchParams.get('code')!
      s.advance(10 * 60_000 + 1_000)
      const expired = await s.loginWith({ code: late })
      expect(expired).toMatchObject({ status: 401, json: { expired: true } })
      expect(expired.setCookie).toBe('')
      expect(s.announced.map((a) => a.why)).toEqual(['next', 'expired'])
      const fresh = new URL(s.announced[1]!.url).searchParams.get('code')!
      expect((await s.loginWith({ code: fresh })).status).toBe(200)
      // the login page, asked for while no link is good, announces one (at most one per 10 minutes)
      s.advance(10 * 60_000 + 1_000)
      await fetch(`${s.url}/login`)
      await fetch(`${s.url}/login`)
      expect(s.announced.map((a) => a.why)).toEqual(['next', 'expired', 'next', 'expired'])
    } finally {
      await s.server.close()
    }
  })

  it('sessions end 2 h unused, and 12 h after the login however busy (polling does not extend them)', async () => {
    const s = await ownServer({ token: TOKEN })
    try {
      const busy = (await s.loginWith({ token: TOKEN })).session
      const idle = (await s.loginWith({ token: TOKEN })).session
      s.advance(3600_000)
      expect((await fetch(`${s.url}/api/groups`, { headers: busy })).status).toBe(200)
      s.advance(3600_000 + 1_000)
      expect((await fetch(`${s.url}/api/groups`, { headers: idle })).status).toBe(401)
      // the page polls every 30 s; here every hour is enough to stay under the idle limit
      for (let hour = 2; hour < 12; hour++) {
        expect((await fetch(`${s.url}/api/handoffs?status=open`, { headers: busy })).status, `hour ${hour}`).toBe(200)
        s.advance(3600_000)
      }
      expect((await fetch(`${s.url}/api/handoffs?status=open`, { headers: busy })).status).toBe(401)
    } finally {
      await s.server.close()
    }
  })

  it('failed logins: past 10 a client’s failures get 429, but the right token and a live session always pass; per forwarded client only with trustProxy', async () => {
    const s = await ownServer({ token: TOKEN })
    try {
      const session = (await s.loginWith({ token: TOKEN })).session
      let blocked: Response | undefined
      for (let i = 0; i < 12; i++) {
        blocked = await fetch(`${s.url}/api/groups`, { headers: bearer(`guess-${i}-0123456789abcdef`) })
        if (blocked.status === 429) break
      }
      expect(blocked!.status).toBe(429)
      expect(Number(blocked!.headers.get('retry-after'))).toBeGreaterThan(0)
      expect((await s.loginWith({ token: 'still-guessing-0123456789' })).status).toBe(429)
      // the same address (every local program is 127.0.0.1): the operator is not locked out
      expect((await fetch(`${s.url}/api/groups`, { headers: bearer() })).status).toBe(200)
      expect((await fetch(`${s.url}/api/groups`, { headers: session })).status).toBe(200)
      expect((await s.loginWith({ token: TOKEN })).status).toBe(200)
      // X-Forwarded-For is not believed without trustProxy: a guesser cannot reset its count
      expect((await fetch(`${s.url}/api/groups`, { headers: { ...bearer('guess-x-0123456789abcdef'), 'x-forwarded-for': '10.9.9.9' } })).status).toBe(429)
      // the window passes: failures are answered with 401 again
      s.advance(15 * 60_000 + 1_000)
      expect((await fetch(`${s.url}/api/groups`, { headers: bearer('guess-y-0123456789abcdef') })).status).toBe(401)
    } finally {
      await s.server.close()
    }

    // behind a proxy (trustProxy): each forwarded client has its own count; https makes the cookie Secure
    const p = await ownServer({ token: TOKEN, trustProxy: true })
    try {
      const from = (ip: string, token: string) => fetch(`${p.url}/api/groups`, { headers: { ...bearer(token), 'x-forwarded-for': ip } })
      for (let i = 0; i < 10; i++) await from('203.0.113.7', `guess-${i}-0123456789abcdef`)
      expect((await from('203.0.113.7', 'guess-z-0123456789abcdef')).status).toBe(429)
      expect((await from('198.51.100.2', 'typo-0123456789abcdef')).status).toBe(401)
      expect((await from('203.0.113.7', TOKEN)).status).toBe(200)
      const tls = await p.loginWith({ token: TOKEN }, { 'x-forwarded-proto': 'https', 'x-forwarded-for': '198.51.100.2' })
      expect(tls.setCookie).toMatch(/; Secure/)
      expect((await p.loginWith({ token: TOKEN }, { 'x-forwarded-for': '198.51.100.2' })).setCookie).not.toMatch(/Secure/)
    } finally {
      await p.server.close()
    }
    // and without trustProxy a forwarded https says nothing
    const q = await ownServer({ token: TOKEN })
    try {
      expect((await q.loginWith({ token: TOKEN }, { 'x-forwarded-proto': 'https' })).setCookie).not.toMatch(/Secure/)
    } finally {
      await q.server.close()
    }
  })
})
