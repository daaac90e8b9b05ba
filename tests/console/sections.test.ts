import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { startApp, type App } from '../../src/runtime/App.js'
import { launchBrowser, loginWithToken } from '../helpers/browser.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'sections-token-0123456789abcdef'

const config = (port: number, fansSkills: string) => `bot:
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${port}
  tokenEnv: SIYU_TEST_SECTIONS_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
${fansSkills}`

const SHOP = `      shop:
        items:
          - { id: sample, name: 小样, price: 5, delivery: admin }
`

/**
 * The skills' console sections follow the current config (docs/console.md): a skill on in
 * no group has no menu entry, no page, no routes (404), no OpenAPI paths and no metrics; a
 * `#reload` that turns it on brings them all, and one that turns it off takes them away —
 * against the whole App in process (PuppetMock) over real HTTP.
 */
describe('console sections follow the skills that are on', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  let port: number
  const captured = capturedLog()
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const boss = mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, boss.id] })
  const said: string[] = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push(m.text() ?? '')
  })

  const call = async (path: string, token: string | null = TOKEN) => {
    const res = await fetch(base + path, { headers: token ? { authorization: `Bearer ${token}` } : {} })
    return { status: res.status, text: await res.text() }
  }
  const json = async (path: string) => JSON.parse((await call(path)).text)
  /** Write the config and `#reload` it as the admin, in the room, as an operator does. */
  const reloadWith = async (fansSkills: string) => {
    await writeFile(join(dir, 'bot.yaml'), config(port, fansSkills))
    const before = said.length
    boss.say('#reload').to(fansRoom)
    await waitFor(() => said.slice(before).find((t) => t.includes('配置已重新加载')), { what: 'the #reload confirmation' })
  }

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-sections-'))
    port = await freePort()
    await writeFile(join(dir, 'bot.yaml'), config(port, ''))
    const stdout = new Writable({ write: (_c, _e, cb) => cb() })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_SECTIONS_TOKEN: TOKEN }, log: captured.log, puppet, stdout })
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  const expectOff = async () => {
    const session = await json('/api/session')
    expect(session.sections.map((s: { id: string }) => s.id)).toEqual([])
    for (const path of ['/api/orders', '/api/lives', '/api/removals?group=fans', '/ext/orders.js', '/ext/lives.js', '/ext/removals.js']) {
      expect((await call(path)).status, path).toBe(404)
    }
    // the console's own auth comes first: without the token, a section that is off is not told from one that is on
    expect((await call('/api/orders', null)).status).toBe(401)
    const doc = await json('/api/openapi.json')
    expect(Object.keys(doc.paths).filter((p) => /orders|lives|removals/.test(p))).toEqual([])
    expect(doc.paths['/api/groups']).toBeDefined()
    expect((await call('/metrics')).text).not.toContain('siyu_shop_')
  }

  it('no group has shop, live or guard: no section, page, route, OpenAPI path or metric of theirs', async () => {
    await expectOff()
    // the group page's fields keep their shape (an API client's parser does not change with a reload)
    expect(await json('/api/groups/fans')).toMatchObject({ name: 'fans', lives: [] })
  })

  it('a #reload that turns the shop and live on in a group brings their sections, routes, paths and metrics', async () => {
    await reloadWith(`${SHOP}      live: {}\n`)
    const session = await json('/api/session')
    expect(session.sections).toEqual([
      { id: 'lives', title: '直播 Lives', module: '/ext/lives.js', path: '/lives', order: 30 },
      { id: 'orders', title: '订单 Orders', module: '/ext/orders.js' },
    ])
    expect(await json('/api/orders')).toEqual([])
    expect(await json('/api/lives')).toEqual([])
    expect((await call('/ext/orders.js')).text).toContain('export async function render')
    expect((await call('/api/removals?group=fans')).status).toBe(404)
    const doc = await json('/api/openapi.json')
    expect(Object.keys(doc.paths).filter((p) => /orders|lives|removals/.test(p)).sort()).toEqual(['/api/lives', '/api/lives/{id}', '/api/orders', '/api/orders/{id}/cancel', '/api/orders/{id}/done'])
    // the group detail documents the live desk's field
    expect(doc.paths['/api/groups/{name}'].get.responses['200'].content['application/json'].schema.properties.lives).toBeDefined()
    expect((await call('/metrics')).text).toMatch(/^siyu_shop_orders_pending\{pool="fans"\} 0$/m)
  })

  it('in Chromium: the menu keeps its order (直播 between 转人工 and 会员), #/lives is the live desk, the group page shows its card', async () => {
    const browser = await launchBrowser()
    try {
      const page = await browser.context.newPage()
      page.setDefaultTimeout(20_000)
      const pageErrors: string[] = []
      page.on('pageerror', (e) => pageErrors.push(e.message))
      await loginWithToken(page, base, TOKEN, '/#/lives')
      const menu = await page.locator('#nav a').evaluateAll((links) => links.map((a) => [a.getAttribute('href'), (a as HTMLElement).innerText.trim()]))
      expect(menu).toEqual([
        ['#/', '总览 Overview'],
        ['#/inbox', '转人工 Inbox'],
        ['#/lives', '直播 Lives'],
        ['#/members', '会员 Members'],
        ['#/x/orders', '订单 Orders'],
      ])
      await page.locator('form input[name=title]').waitFor()
      await expect(page.locator('h1').textContent()).resolves.toBe('直播 Lives')
      await page.goto(`${base}/#/group/fans`)
      await page.locator('.card h2', { hasText: '待开播直播' }).waitFor()
      await page.getByText('暂时没有直播预告').waitFor()
      expect(pageErrors).toEqual([])
    } finally {
      await browser.close()
    }
  }, 90_000)

  it('a #reload that turns them off again takes it all away', async () => {
    await reloadWith('')
    await expectOff()
  })
})
