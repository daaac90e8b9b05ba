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
  mocker.createRoom({ topic: 'VIP群', memberIdList: [botUser.id, alice.id] })
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
    store.health = () => ({ writable: false, lastError: 'ENOSPC: no space left on device', failingSince: Date.now() })
    try {
      const bad = await fetch(`${base}/healthz`)
      expect(bad.status).toBe(503)
      expect(await bad.json()).toMatchObject({ ok: false, storeWritable: false, lastError: 'ENOSPC: no space left on device' })
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
    // a contact known by tags alone is a member too (the brand's CRM tags people before they check in)
    await call('POST', '/api/members/wxid_newcomer/tags/潜客')
    expect((await call('GET', '/api/members/wxid_newcomer')).json).toMatchObject({ id: 'wxid_newcomer', total: 0, tags: ['潜客'] })
  })

  it('a browser session: login sets an HttpOnly SameSite=Strict cookie; changes need the CSRF header and a same origin', async () => {
    const wrong = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: 'nope-nope-nope-nope' }) })
    expect(wrong.status).toBe(401)
    expect(wrong.headers.get('set-cookie')).toBeNull()
    const login = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: TOKEN }) })
    expect(login.status).toBe(200)
    const setCookie = login.headers.get('set-cookie')!
    expect(setCookie).toMatch(/^siyu_session=[\w-]{20,};/)
    expect(setCookie).toContain('HttpOnly')
    expect(setCookie).toContain('SameSite=Strict')
    const cookie = setCookie.split(';')[0]!
    const asBrowser = (method: string, path: string, headers: Record<string, string> = {}) => fetch(base + path, { method, headers: { cookie, ...headers } })

    const session = await (await asBrowser('GET', '/api/session')).json()
    expect(session).toMatchObject({
      via: 'console',
      csrf: expect.any(String),
      sections: expect.arrayContaining([
        { id: 'orders', title: '订单 Orders', module: '/ext/orders.js' },
        { id: 'removals', title: '移出记录 Removals', module: '/ext/removals.js' },
        { id: 'orders-demo', title: '订单 Orders (test)', module: '/ext/orders-demo.js' },
      ]),
    })
    expect((await asBrowser('GET', '/api/groups')).status).toBe(200)

    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台')).status).toBe(403)
    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台', { 'x-csrf-token': 'forged' })).status).toBe(403)
    expect((await asBrowser('POST', '/api/members/wxid_alice/tags/控制台', { 'x-csrf-token': session.csrf, origin: 'http://evil.example' })).status).toBe(403)
    expect((await members()).json.tags).toEqual([])
    const ok = await asBrowser('POST', `/api/members/wxid_alice/tags/${encodeURIComponent('控制台')}`, { 'x-csrf-token': session.csrf, origin: base })
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

    await asBrowser('POST', '/logout', { 'x-csrf-token': session.csrf })
    expect((await asBrowser('GET', '/api/groups')).status).toBe(401)
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

  it('without a token: a one-time login link, exchanged once for a session', async () => {
    const announced: string[] = []
    const server = new ConsoleServer(consoleDeps({ ...app, getConfig: app.config, clock: { now: () => Date.now(), after: () => ({ cancel() {} }), at: () => ({ cancel() {} }) }, log: silentLogger }), {
      host: '127.0.0.1',
      port: 0,
      token: undefined,
      announce: (l) => announced.push(l),
    })
    try {
      const url = await server.start()
      const link = server.loginUrl()
      expect(link).toMatch(new RegExp(`^${url}/login\\?code=[\\w-]{40,}$`))
      const first = await fetch(link, { redirect: 'manual' })
      expect(first.status).toBe(303)
      expect(first.headers.get('location')).toBe('/')
      const cookie = first.headers.get('set-cookie')!.split(';')[0]!
      expect((await fetch(`${url}/api/groups`, { headers: { cookie } })).status).toBe(200)
      // used once: the same link no longer works; a new one was printed for the next browser
      expect((await fetch(link, { redirect: 'manual' })).status).toBe(401)
      expect(announced).toHaveLength(1)
      expect(announced[0]).toMatch(/login\?code=/)
      // with no token set, no bearer works either
      expect((await fetch(`${url}/api/groups`, { headers: { authorization: 'Bearer ' } })).status).toBe(401)
    } finally {
      await server.close()
    }
  })

  // last: it locks 127.0.0.1 out of this server for the rest of the window
  it('limits failed logins per address (429), even for the right token afterwards', async () => {
    let blocked
    for (let i = 0; i < 12; i++) {
      blocked = await call('GET', '/api/groups', { headers: bearer(`guess-${i}-0123456789abcdef`) })
      if (blocked.status === 429) break
    }
    expect(blocked!.status).toBe(429)
    expect(Number(blocked!.headers.get('retry-after'))).toBeGreaterThan(0)
    expect((await call('GET', '/api/groups')).status).toBe(429)
  })
})
