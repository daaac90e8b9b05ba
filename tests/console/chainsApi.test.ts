import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { startApp, type App } from '../../src/runtime/App.js'
import { ChainShape } from '../../skills/chain/console/schemas.js'
import { ChainBook } from '../../skills/chain/ChainBook.js'
import { Namespace } from '../../src/store/Store.js'
import { launchBrowser, loginWithToken, watchedPage } from '../helpers/browser.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'test-token-chains-0123456789ab'

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
      chain: { confirmSeconds: 1 }
  - name: quiet
    match: { topic: "安静*" }
    skills:
      checkin: {}
`

/**
 * The chain skill's console section (skills/chain/console/) against the whole App in process
 * (PuppetMock) over real HTTP on 127.0.0.1: chains made in the room, listed with their
 * joiners, exported as CSV, closed from the API and from the page in Chromium.
 */
describe('console: the chain (接龙) section', () => {
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const boss = mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const people = ['张三', '李四', '=HYPERLINK("x")'].map((name, i) => mocker.createContact({ name, id: `wxid_p${i}` }))
  const room = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, boss.id, ...people.map((p) => p.id)] })
  const room2 = mocker.createRoom({ topic: '粉丝2群', memberIdList: [botUser.id, boss.id, people[0]!.id] })
  const said: Array<{ room?: string; text: string }> = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push({ room: m.payload.roomId, text: m.text() ?? '' })
  })
  const call = async (method: string, path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => {
    const res = await fetch(base + path, { method, headers })
    const text = await res.text()
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, headers: res.headers }
  }
  const book = () => new ChainBook(new Namespace(app.store, 'chain/').child('group:fans'))

  beforeAll(async () => {
    let dir: string
    ;({ dir, cleanup } = await tempDir('siyu-chains-'))
    await writeFile(join(dir, 'bot.yaml'), config(await freePort()))
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_CONSOLE_TOKEN: TOKEN }, log: captured.log, puppet, stdout: new Writable({ write: (_c, _e, cb) => cb() }) })
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
    boss.say('#接龙 周六烘焙课 限2人').to(room)
    await waitFor(() => said.find((s) => s.text.startsWith('【接龙】周六烘焙课')), { what: 'the chain opened' })
    people[0]!.say('接龙 2份').to(room)
    people[1]!.say('+1').to(room)
    people[2]!.say('接龙 =1+1').to(room)
    boss.say('#接龙 周日插花').to(room2)
    await waitFor(() => said.find((s) => s.text.includes('候补：=HYPERLINK')), { what: 'the joins confirmed' })
    await waitFor(() => said.find((s) => s.text.startsWith('【接龙】周日插花')), { what: 'the second chain opened' })
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('401 without the token; every chain with its joiners; one chain; bad input 400, unknown 404', async () => {
    expect((await call('GET', '/api/chains', {})).status).toBe(401)
    expect((await call('POST', '/api/chains/fans/c1/close', {})).status).toBe(401)
    const all = (await call('GET', '/api/chains')).json.map((c: unknown) => ChainShape.parse(c))
    expect(all.map((c: { title: string }) => c.title)).toEqual(['周日插花', '周六烘焙课'])
    const bake = all[1]
    expect(bake).toMatchObject({ id: 'c1', group: 'fans', roomId: room.id, roomTopic: '粉丝1群', limit: 2, status: 'open', joined: 2, waiting: 1, openedBy: { id: 'wxid_boss', name: '老板' } })
    expect(bake.entries.map((e: { place: number; waiting: boolean; name: string; note: string; via: string }) => [e.place, e.waiting, e.name, e.note, e.via])).toEqual([
      [1, false, '张三', '2份', 'text'],
      [2, false, '李四', '', 'text'],
      [1, true, '=HYPERLINK("x")', '=1+1', 'text'],
    ])
    expect((await call('GET', '/api/chains?status=closed')).json).toEqual([])
    expect((await call('GET', '/api/chains/fans/c1')).json).toMatchObject({ id: 'c1', title: '周六烘焙课' })
    for (const bad of ['/api/chains?status=maybe', '/api/chains?limit=0', '/api/chains/fans/x1', '/api/chains/fans/c1.xls']) expect((await call('GET', bad)).status, bad).toBe(400)
    for (const unknown of ['/api/chains?group=nope', '/api/chains/fans/c99', '/api/chains/nope/c1']) expect((await call('GET', unknown)).status, unknown).toBe(404)
  })

  it('the CSV opens in Excel: UTF-8 with BOM, quoted cells, formulas a member wrote defused', async () => {
    const r = await call('GET', '/api/chains/fans/c1.csv')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8')
    expect(r.headers.get('content-disposition')).toContain('fans-c1.csv')
    const raw = new Uint8Array(await (await fetch(`${base}/api/chains/fans/c1.csv`, { headers: { authorization: `Bearer ${TOKEN}` } })).arrayBuffer())
    expect([...raw.slice(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const lines = r.text.replace(/^\uFEFF/, '').split('\r\n')
    expect(lines[0]).toBe('序号,昵称,备注,接龙时间,微信ID,方式')
    expect(lines[1]).toMatch(/^1,张三,2份,\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,wxid_p0,发消息$/)
    expect(lines[3]).toMatch(/^候补1,"'=HYPERLINK\(""x""\)",'=1\+1,.+,wxid_p2,发消息$/)
    expect(lines.at(-1)).toBe('')
  })

  it('POST close: the final list in the room, closed by api, an audit line; again: 409; no change on a bad id', async () => {
    expect((await call('POST', '/api/chains/fans/c7/close')).status).toBe(404)
    const r = await call('POST', '/api/chains/fans/c1/close')
    expect(r.status).toBe(200)
    expect(ChainShape.parse(r.json)).toMatchObject({ status: 'closed', closedBy: 'api', joined: 2, waiting: 1 })
    await waitFor(() => said.find((s) => s.room === room.id && s.text.startsWith('【接龙结束】周六烘焙课')), { what: 'the final list in the room' })
    expect(book().get('c1')?.status).toBe('closed')
    expect(captured.lines.filter((l) => l.audit === true && l.action === 'chain close')).toEqual([expect.objectContaining({ via: 'api', group: 'fans', chain: 'c1' })])
    const again = await call('POST', '/api/chains/fans/c1/close')
    expect(again.status).toBe(409)
    expect(again.json.error).toContain('已经结束')
  })

  it('is in the OpenAPI document and the session, and its page closes a chain (confirmed) as console in Chromium', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/chains', '/api/chains/{group}/{id}', '/api/chains/{group}/{id}/close']))
    const session = (await call('GET', '/api/session')).json
    expect(session.sections).toContainEqual(expect.objectContaining({ id: 'chains', title: '接龙 Chains', module: '/ext/chains.js' }))
    const browser = await launchBrowser()
    try {
      const { page, pageErrors, dialogs } = await watchedPage(browser)
      await loginWithToken(page, base, TOKEN)
      await page.locator('#nav a[href="#/x/chains"]', { hasText: '接龙' }).click()
      const bake = page.locator('section.chain[data-chain="c1"]')
      await expect(bake.locator('tbody').textContent()).resolves.toContain('=HYPERLINK("x")')
      // the CSV, downloaded through the session
      const [download] = await Promise.all([page.waitForEvent('download'), bake.locator('button.csv').click()])
      expect(download.suggestedFilename()).toBe('fans-c1.csv')
      const file = await download.path()
      const { readFile } = await import('node:fs/promises')
      expect((await readFile(file!, 'utf8')).split('\r\n')[0]).toBe('\uFEFF序号,昵称,备注,接龙时间,微信ID,方式')
      await page.locator('section.chain[data-chain="c2"] button.close-chain').click()
      await page.getByText('已结束「周日插花」').waitFor()
      expect(dialogs).toEqual([expect.stringContaining('结束接龙「周日插花」')])
      expect(pageErrors).toEqual([])
      expect(captured.lines.filter((l) => l.audit === true && l.action === 'chain close' && l.chain === 'c2')).toEqual([expect.objectContaining({ via: 'console' })])
    } finally {
      await browser.close()
    }
  }, 90_000)
})
