import { Writable } from 'node:stream'
import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { mock } from 'wechaty-puppet-mock'
import { RehearsalPuppet } from '../../src/sandbox/RehearsalPuppet.js'
import { DeliveriesResponse, PostsResponse } from '../../skills/posts/console/schemas.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'posts-token-0123456789abcdef'

const config = (port: number) => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${port}
  tokenEnv: SIYU_TEST_POSTS_TOKEN
media:
  rules: { image: media/群规.png }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      live:
        lives: [{ id: d12, title: 双12直播, start: "2099-12-12 20:00" }]
      posts:
        - id: morning
          when: "每天 09:00"
          send: ["早上好", { media: rules }]
  - name: vip
    match: { topic: "VIP*" }
    skills:
      posts:
        - id: morning
          when: "每天 09:30"
          send: VIP 早上好
  - name: plain
    match: { topic: "普通*" }
    skills: { checkin: {} }
`

/**
 * The posts section's API (CONTRACT §10) against the whole App in process (PuppetMock) over
 * real HTTP: list, add for two groups, change, delete, skip, send now, the delivery log and the
 * calendar; auth; every bad body a 400 that changes nothing; config posts are the YAML's (409).
 */
describe('posts API', () => {
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const mocker = new mock.Mocker()
  // the fake world's puppet: it sends pictures and cards as the room sees them
  const puppet = new RehearsalPuppet({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id] })
  const vipRoom = mocker.createRoom({ topic: 'VIP1群', memberIdList: [botUser.id, alice.id] })
  const said: Array<{ room?: string; text: string; type: number }> = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push({ room: m.payload.roomId, text: m.text() ?? '', type: m.type() })
  })
  const inRoom = (room: mock.RoomMock) => said.filter((s) => s.room === room.id)

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
  const posts = async () => PostsResponse.parse((await call('GET', '/api/posts')).json)
  const stored = () => app.store.keys('posts/').filter((k) => !k.includes('/sends/'))
  const snapshot = async () => ({ posts: await posts(), stored: stored().map((k) => [k, app.store.get(k)]) })
  const inAMinute = () => DateTime.now().setZone('Asia/Shanghai').plus({ days: 1 }).toFormat('yyyy-MM-dd HH:mm')

  beforeAll(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir('siyu-posts-api-'))
    await mkdir(join(dir, 'media'))
    await copyFile('config/media/群规.png', join(dir, 'media/群规.png'))
    await writeFile(join(dir, 'bot.yaml'), config(await freePort()))
    const stdout = new Writable({ write: (_c, _e, cb) => cb() })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_POSTS_TOKEN: TOKEN }, log: captured.log, puppet, stdout })
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('refuses every posts route without the token (401) and changes nothing', async () => {
    const before = await snapshot()
    for (const [method, path] of [
      ['GET', '/api/posts'],
      ['POST', '/api/posts'],
      ['PUT', '/api/posts/c1'],
      ['DELETE', '/api/posts/c1'],
      ['POST', '/api/posts/morning@fans/skip'],
      ['POST', '/api/posts/morning@fans/now'],
      ['GET', '/api/deliveries'],
      ['GET', '/api/calendar'],
    ] as const) {
      expect((await call(method, path, { token: null })).status, `${method} ${path}`).toBe(401)
    }
    expect(await snapshot()).toEqual(before)
  })

  it('GET /api/posts: the config’s posts, one id per different post, each with its next occurrence', async () => {
    const all = await posts()
    expect(all.map((p) => [p.id, p.groups, p.when, p.source])).toEqual([
      ['morning@fans', ['fans'], '每天 09:00', 'config'],
      ['morning@vip', ['vip'], '每天 09:30', 'config'],
    ])
    expect(all[0]!.send).toEqual(['早上好', { media: 'rules' }])
    const next = DateTime.fromISO(all[0]!.next!, { setZone: true })
    expect(next.toFormat('HH:mm ZZ')).toBe('09:00 +08:00')
    expect(next.toMillis()).toBeGreaterThan(Date.now())
    expect(next.toMillis() - Date.now()).toBeLessThanOrEqual(86_400_000)
  })

  it('every bad body is a 400 with a message, and nothing changes', async () => {
    const before = await snapshot()
    const bad: Array<[unknown, RegExp]> = [
      [{ groups: ['fans'] }, /send/],
      [{ groups: ['fans'], when: '每天 09:00', send: [] }, /send/],
      [{ groups: [], when: '每天 09:00', send: 'x' }, /at least one group/],
      [{ groups: ['fans', 'fans'], when: '每天 09:00', send: 'x' }, /named twice/],
      [{ groups: ['nope'], when: '每天 09:00', send: 'x' }, /no group "nope"/],
      [{ groups: ['plain'], when: '每天 09:00', send: 'x' }, /does not have the posts skill on/],
      [{ groups: ['fans'], send: 'x' }, /needs when \(a schedule\) or after/],
      [{ groups: ['fans'], when: '每天 09:00', after: { joined: '3d', at: '20:00' }, send: 'x' }, /when or after, not both/],
      [{ groups: ['fans'], when: '每周八 09:00', send: 'x' }, /when: when "每周八 09:00": "周八" is not a day/],
      [{ groups: ['fans'], when: '每天 09:00', send: '{names} 早' }, /\{names\} is only known in after: joined posts/],
      [{ groups: ['fans'], when: '每天 09:00', send: '{nope} 早' }, /unknown template variable \{nope\}/],
      [{ groups: ['fans'], when: '每天 09:00', send: ['x', { media: 'poster' }] }, /unknown media "poster"; media: defines rules/],
      [{ groups: ['fans'], when: '2020-01-01 09:00', send: 'x' }, /in the past/],
      [{ groups: ['fans'], after: { joined: '0d', at: '20:00' }, send: 'x' }, /joined is 1d to 365d/],
      [{ groups: ['fans'], when: '每天 09:00', send: 'x', skip: ['2026-02-30'] }, /skip dates are like/],
      [{ groups: ['fans'], when: '每天 09:00', send: 'x', extra: 1 }, /extra/],
    ]
    for (const [body, error] of bad) {
      const r = await call('POST', '/api/posts', { body })
      expect(r.status, JSON.stringify(body)).toBe(400)
      expect(r.json.error, JSON.stringify(body)).toMatch(error)
    }
    const notJson = await fetch(base + '/api/posts', { method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"groups":' })
    expect(notJson.status).toBe(400)
    expect(await snapshot()).toEqual(before)
  })

  it('a post added for two groups is stored with the state, listed with its next time, sent now once in each room, and in the delivery log', async () => {
    const created = await call('POST', '/api/posts', { body: { groups: ['fans', 'vip'], when: inAMinute(), send: ['双12 预热开始', { media: 'rules' }] } })
    expect(created.status).toBe(201)
    expect(created.json).toEqual({ id: 'c1' })
    expect(app.store.get('posts/pool:console/posts/c1')).toMatchObject({ id: 'c1', groups: ['fans', 'vip'], send: ['双12 预热开始', { media: 'rules' }], by: 'api' })
    const listed = (await posts()).find((p) => p.id === 'c1')!
    expect(listed).toMatchObject({ groups: ['fans', 'vip'], source: 'console', next: expect.any(String) })
    expect(captured.lines.find((l) => l.audit === true && l.action === 'post.add')).toMatchObject({ via: 'api', post: 'c1', groups: ['fans', 'vip'] })

    const now = await call('POST', '/api/posts/c1/now')
    expect(now.json).toEqual({ id: 'c1', groups: ['fans', 'vip'], rooms: 2 })
    for (const room of [fansRoom, vipRoom]) {
      await waitFor(() => inRoom(room).length >= 2 || undefined, { what: `the post in ${room.payload.topic}` })
      expect(inRoom(room).map((s) => s.text)).toEqual(['双12 预热开始', ''])
    }
    const log = await waitFor(async () => {
      const r = DeliveriesResponse.parse((await call('GET', '/api/deliveries?days=1')).json)
      return r.length === 2 ? r : undefined
    }, { what: 'two lines in the delivery log' })
    expect(log.map((d) => [d.post, d.group, d.roomId, d.status]).sort()).toEqual([
      ['c1', 'fans', fansRoom.id, 'sent'],
      ['c1', 'vip', vipRoom.id, 'sent'],
    ])
    expect(DeliveriesResponse.parse((await call('GET', '/api/deliveries?group=vip')).json).map((d) => d.group)).toEqual(['vip'])
    for (const q of ['days=0', 'days=41', 'days=x', 'group=nope']) expect((await call('GET', `/api/deliveries?${q}`)).status, q).toBeGreaterThanOrEqual(400)
  })

  it('skip takes out the next occurrence only; PUT changes a console post; config posts are the YAML’s (409); DELETE', async () => {
    const before = (await posts()).find((p) => p.id === 'morning@fans')!
    const skipped = await call('POST', '/api/posts/morning@fans/skip')
    expect(skipped.status).toBe(200)
    expect(skipped.json.skipped).toEqual([{ group: 'fans', at: before.next }])
    expect(DateTime.fromISO(skipped.json.next).toMillis() - DateTime.fromISO(before.next!).toMillis()).toBe(86_400_000)

    const put = await call('PUT', '/api/posts/c1', { body: { groups: ['vip'], after: { joined: '3d', at: '20:00' }, send: '{names} 进群第 3 天啦' } })
    expect(put.status).toBe(200)
    expect((await posts()).find((p) => p.id === 'c1')).toMatchObject({ groups: ['vip'], after: { joined: '3d', at: '20:00' }, send: ['{names} 进群第 3 天啦'] })
    expect((await posts()).find((p) => p.id === 'c1')!.when).toBeUndefined()

    const snap = await snapshot()
    expect((await call('PUT', '/api/posts/morning@fans', { body: { groups: ['fans'], when: '每天 10:00', send: 'x' } })).status).toBe(409)
    expect((await call('DELETE', '/api/posts/morning@vip')).status).toBe(409)
    expect((await call('PUT', '/api/posts/c1', { body: { groups: ['vip'], when: '每天 25:00', send: 'x' } })).status).toBe(400)
    expect((await call('DELETE', '/api/posts/c404')).status).toBe(404)
    expect((await call('POST', '/api/posts/morning/now')).status).toBe(400) // two different posts have that id
    expect(await snapshot()).toEqual(snap)

    expect((await call('DELETE', '/api/posts/c1')).json).toEqual({ id: 'c1' })
    expect((await posts()).map((p) => p.id)).toEqual(['morning@fans', 'morning@vip'])
    expect(app.store.get('posts/pool:console/posts/c1')).toBeUndefined()
  })

  it('GET /api/calendar: every group’s posts and lives; the OpenAPI document has the section’s paths', async () => {
    const today = DateTime.now().setZone('Asia/Shanghai').toFormat('yyyy-MM-dd')
    const week = (await call('GET', `/api/calendar?from=${today}&days=7`)).json as Array<{ kind: string; id: string; group: string; skipped?: boolean }>
    expect(week.filter((e) => e.id === 'morning@fans')).toHaveLength(7)
    expect(week.filter((e) => e.id === 'morning@fans' && e.skipped)).toHaveLength(1)
    expect(week.filter((e) => e.group === 'vip')).toHaveLength(7)
    const live = (await call('GET', '/api/calendar?from=2099-12-10&days=7')).json
    expect(live).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'live', id: 'd12', group: 'fans', title: '双12直播' })]))
    expect((await call('GET', '/api/calendar?days=100')).status).toBe(400)
    const doc = (await call('GET', '/api/openapi.json')).json
    for (const path of ['/api/posts', '/api/posts/{id}', '/api/posts/{id}/skip', '/api/posts/{id}/now', '/api/deliveries', '/api/calendar']) expect(Object.keys(doc.paths)).toContain(path)
  })
})
