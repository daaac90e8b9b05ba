import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { SKILLS } from '../../skills/index.js'
import { HelloResponse } from '../../examples/hello-skill/console.js'
import { Greetings } from '../../examples/hello-skill/Greetings.js'
import { HelloSkill } from '../../examples/hello-skill/index.js'
import { startApp, type App } from '../../src/runtime/App.js'
import { launchBrowser, loginWithToken } from '../helpers/browser.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { configErrors } from '../helpers/configErrors.js'
import { harness } from '../helpers/harness.js'
import { freePort } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

/*
 * The example skill of README "Writing a skill" (examples/hello-skill/). It lives outside
 * skills/, so it is not in the built-in list: the tests run the bot with it added,
 * `[...SKILLS, HelloSkill]` — what a brand's own skill does (one line in skills/index.ts
 * when it becomes a built-in one).
 */
const WITH_HELLO = [...SKILLS, HelloSkill]

const yaml = (hello = 'hello: {}') => `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      ${hello}
  - name: quiet
    match: { topic: "安静*" }
    skills:
      checkin: {}
`

describe('hello (the example skill) in chat', () => {
  it('a greeting is answered with the member’s own count, kept per member and group', async () => {
    const h = await harness(yaml('hello: { triggers: [早安, 早], reply: "早，{name}！第 {count} 次" }'), { skills: WITH_HELLO })
    const fans = h.room('粉丝1群')
    const quiet = h.room('安静群')
    const alice = h.member('Alice')
    const bob = h.member('Bob')
    await h.say(fans, alice, '早安')
    await h.say(fans, alice, '早')
    await h.say(fans, bob, '早安')
    await h.say(fans, alice, '早安啊') // not the whole message: not a greeting
    await h.say(quiet, alice, '早安') // hello is not on in this group
    expect(h.texts(fans.id)).toEqual(['早，Alice！第 1 次', '早，Alice！第 2 次', '早，Bob！第 1 次'])
    expect(h.texts(quiet.id)).toEqual([])
    expect(Greetings.of(h.store, 'fans').top(5)).toMatchObject([
      { id: 'wxid_alice', name: 'Alice', count: 2 },
      { id: 'wxid_bob', name: 'Bob', count: 1 },
    ])
  })

  it('#hello lists the greeters to an admin; a bad count gets the usage; a member gets nothing', async () => {
    const h = await harness(yaml(), { skills: WITH_HELLO })
    const fans = h.room('粉丝1群')
    const boss = h.member('老板', 'wxid_boss')
    await h.say(fans, h.member('Alice'), '早安')
    await h.say(fans, h.member('Bob'), '早安')
    await h.say(fans, h.member('Bob'), '早安')
    const before = h.texts(fans.id).length
    await h.say(fans, h.member('Alice'), '#hello')
    expect(h.texts(fans.id)).toHaveLength(before)
    await h.say(fans, boss, '#hello 1')
    await h.say(fans, boss, '#hello lots')
    expect(h.texts(fans.id).slice(before)).toEqual(['早安榜：\n1. Bob 2 次', '人数是 1 到 50 的整数\n用法：#hello [人数，默认 5]'])
  })

  it('a bad config is refused at its file:line:col', () => {
    expect(configErrors(yaml('hello: { reply: "早，{nickname}" }'), WITH_HELLO)).toEqual(['bot.yaml:7:26: unknown template variable {nickname}; this template knows {name}, {count}'])
    expect(configErrors(yaml('hello: { triger: [早] }'), WITH_HELLO)).toEqual([expect.stringMatching(/^bot\.yaml:7:\d+: .*triger/)])
    // without the skill in the bot's list, the key is unknown
    expect(configErrors(yaml(), SKILLS)).toEqual([expect.stringMatching(/^bot\.yaml:7:\d+: .*hello/)])
  })
})

/** Its console section over real HTTP, the whole App in process (PuppetMock). */
describe('hello (the example skill) in the console', () => {
  const TOKEN = 'hello-token-0123456789abcdef'
  let dir: string
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id] })
  const said: string[] = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push(m.text() ?? '')
  })
  const call = async (path: string, token: string | null = TOKEN) => {
    const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    const text = await res.text()
    return { status: res.status, text, json: () => JSON.parse(text) }
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-hello-'))
    const port = await freePort()
    await writeFile(join(dir, 'bot.yaml'), `${yaml()}console:\n  port: ${port}\n  tokenEnv: SIYU_TEST_HELLO_TOKEN\n`)
    app = await startApp({
      configPath: join(dir, 'bot.yaml'),
      dataDir: join(dir, 'data'),
      env: { SIYU_TEST_HELLO_TOKEN: TOKEN },
      log: capturedLog().log,
      puppet,
      stdout: new Writable({ write: (_c, _e, cb) => cb() }),
      skills: WITH_HELLO,
    })
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
    alice.say('早安').to(fansRoom)
    await waitFor(() => said.find((t) => t.includes('这是你第 1 次')), { what: 'the greeting' })
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('GET /api/hello lists the greeters; bad input 400; an unknown group 404; no token 401', async () => {
    const r = await call('/api/hello?group=fans')
    expect(r.status).toBe(200)
    expect(HelloResponse.parse(r.json())).toMatchObject({ group: 'fans', total: 1, greeters: [{ memberId: 'wxid_alice', name: 'Alice', count: 1 }] })
    expect(Date.now() - Date.parse(r.json().greeters[0].last)).toBeLessThan(60_000)
    for (const bad of ['/api/hello', '/api/hello?group=fans&limit=0', '/api/hello?group=fans&limit=x']) {
      const b = await call(bad)
      expect(b.status, bad).toBe(400)
      expect(b.json().error).toMatch(/group|limit/)
    }
    expect((await call('/api/hello?group=nope')).status).toBe(404)
    expect((await call('/api/hello?group=fans', null)).status).toBe(401)
  })

  it('is in the menu, the OpenAPI document and /metrics, and serves its page', async () => {
    expect((await call('/api/session')).json().sections).toContainEqual({ id: 'hello', title: '早安 Hellos', module: '/ext/hello.js' })
    expect((await call('/api/openapi.json')).json().paths['/api/hello']).toBeDefined()
    expect((await call('/metrics')).text).toMatch(/^siyu_hello_greetings\{group="fans"\} 1$/m)
    const page = await call('/ext/hello.js')
    expect(page.status).toBe(200)
    expect(page.text).toContain('export async function render')
  })

  it('in Chromium: its menu entry opens its page, which lists the greeters', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      page.setDefaultTimeout(20_000)
      const pageErrors: string[] = []
      page.on('pageerror', (e) => pageErrors.push(e.message))
      await loginWithToken(page, base, TOKEN)
      await page.locator('#nav a[href="#/x/hello"]', { hasText: '早安' }).click()
      await expect(page.locator('tr[data-member="wxid_alice"]').textContent()).resolves.toMatch(/^Alice1/)
      expect(pageErrors).toEqual([])
    } finally {
      await browser.close()
    }
  }, 90_000)
})
