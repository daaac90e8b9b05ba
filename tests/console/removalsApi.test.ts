import { Writable } from 'node:stream'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { startApp, type App } from '../../src/runtime/App.js'
import { RemovalsResponse, PardonResponse } from '../../skills/guard/console.js'
import { GuardBook } from '../../skills/guard/GuardBook.js'
import { guardHistory, guardStanding } from '../../skills/guard/manage.js'
import { launchBrowser, loginWithToken, watchedPage } from '../helpers/browser.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const TOKEN = 'test-token-removals-0123456789'
const WEEK = 7 * 24 * 3600_000

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
      guard: { strikes: 3, window: 7d }
  - name: quiet
    match: { topic: "安静*" }
    skills:
      checkin: {}
`

/**
 * guard's console section (skills/guard/console.ts) against the whole App in process
 * (PuppetMock) over real HTTP on 127.0.0.1: a real strike from a link posted in the room, a
 * blacklist entry, the list, and a pardon whose effect is read back through guard's own
 * functions.
 */
describe('console: guard removals section', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let app: App
  let base: string
  const captured = capturedLog()
  const logLines = captured.lines
  const mocker = new mock.Mocker()
  const puppet = new PuppetMock({ mocker })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const bob = mocker.createContact({ name: '广告哥', id: 'wxid_bob' })
  mocker.createContact({ name: '老板', id: 'wxid_boss' })
  const fansRoom = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, bob.id] })
  const said: string[] = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id) said.push(m.text() ?? '')
  })

  const call = async (method: string, path: string, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) => {
    const res = await fetch(base + path, { method, headers })
    return { status: res.status, json: (await res.json().catch(() => undefined)) as any }
  }
  const book = () => GuardBook.of(app.store, 'fans')
  const standing = () => guardStanding(app.store, 'fans', 'wxid_bob', Date.now(), WEEK)

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-removals-'))
    await writeFile(join(dir, 'bot.yaml'), config(await freePort()))
    const log = captured.log
    const stdout = new Writable({ write: (_c, _e, cb) => cb() })
    app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: { SIYU_TEST_CONSOLE_TOKEN: TOKEN }, log, puppet, stdout })
    mocker.login(botUser)
    await app.runtime.ready
    base = app.console!.url
    // a real strike: a link posted in the room earns the warning
    bob.say('加我看看 https://taobao.com/x').to(fansRoom)
    await waitFor(() => said.find((t) => t.includes('本群不允许发链接')), { what: "guard's warning" })
    // and an entry on the blacklist, as a removal leaves it (the removal itself is guard's own tests)
    book().ban('wxid_bob', { name: '广告哥', at: Date.now(), rule: 'links', roomId: fansRoom.id, topic: '粉丝1群' })
    await app.store.durable()
  }, 30_000)

  afterAll(async () => {
    await app?.stop()
    await cleanup?.()
  })

  it('refuses both routes without the token or with a wrong one (401), and changes nothing', async () => {
    for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789abcdef' }] as Array<Record<string, string>>) {
      expect((await call('GET', '/api/removals?group=fans', headers)).status).toBe(401)
      expect((await call('POST', '/api/removals/fans/wxid_bob/pardon', headers)).status).toBe(401)
    }
    expect(standing().strikes).toHaveLength(1)
    expect(standing().blacklisted).toBeDefined()
  })

  it('GET /api/removals lists the strike and the blacklist; bad query 400; unknown group 404', async () => {
    const r = await call('GET', '/api/removals?group=fans')
    expect(r.status).toBe(200)
    const list = RemovalsResponse.parse(r.json)
    expect(list.guard).toBe(true)
    expect(list.history).toEqual([
      expect.objectContaining({ group: 'fans', kind: 'strike', memberId: 'wxid_bob', memberName: '广告哥', rule: 'links', ruleText: '发链接', strike: 1, of: 3, roomTopic: '粉丝1群' }),
    ])
    expect(list.history[0]!.evidence).toContain('taobao.com')
    expect(list.blacklist).toEqual([expect.objectContaining({ group: 'fans', kind: 'blacklisted', memberId: 'wxid_bob', memberName: '广告哥', rule: 'links', roomTopic: '粉丝1群' })])
    expect(Date.parse(list.blacklist[0]!.at)).toBeGreaterThan(Date.now() - 60_000)

    const quiet = RemovalsResponse.parse((await call('GET', '/api/removals?group=quiet')).json)
    expect(quiet).toEqual({ group: 'quiet', guard: false, history: [], blacklist: [] })

    for (const bad of ['', '?group=', '?group=fans&limit=0', '?group=fans&limit=abc', '?group=fans&limit=101']) {
      const b = await call('GET', `/api/removals${bad}`)
      expect(b.status, bad).toBe(400)
      expect(typeof b.json.error).toBe('string')
    }
    expect((await call('GET', '/api/removals?group=nope')).status).toBe(404)
  })

  it('POST pardon: bad input 400 and unknown group 404, with no change', async () => {
    const before = guardHistory(app.store, 'fans', 100)
    expect((await call('POST', '/api/removals/nope/wxid_bob/pardon')).status).toBe(404)
    expect((await call('POST', `/api/removals/fans/${encodeURIComponent('wxid bob')}/pardon`)).status).toBe(400)
    expect((await call('POST', `/api/removals/${'g'.repeat(65)}/wxid_bob/pardon`)).status).toBe(400)
    expect(guardHistory(app.store, 'fans', 100)).toEqual(before)
    expect(standing().strikes).toHaveLength(1)
    expect(standing().blacklisted).toBeDefined()
    expect(logLines.filter((l) => l.action === 'guard pardon')).toEqual([])
  })

  it('POST pardon runs guard’s pardon(): blacklist entry gone, strikes cleared, recorded by api, an audit line', async () => {
    const r = await call('POST', '/api/removals/fans/wxid_bob/pardon')
    expect(r.status).toBe(200)
    expect(PardonResponse.parse(r.json)).toEqual({ group: 'fans', memberId: 'wxid_bob', memberName: '广告哥', strikes: 1, unbanned: true, removalsCancelled: 0, changed: true })
    expect(standing()).toEqual({ strikes: [], blacklisted: undefined, removing: [] })
    expect(guardHistory(app.store, 'fans', 1)[0]).toMatchObject({ action: 'pardon', contactId: 'wxid_bob', by: 'api' })

    const audit = logLines.filter((l) => l.audit === true && l.action === 'guard pardon')
    expect(audit).toEqual([expect.objectContaining({ via: 'api', group: 'fans', contact: 'wxid_bob', strikes: 1, unbanned: true, removalsCancelled: 0 })])

    const list = RemovalsResponse.parse((await call('GET', '/api/removals?group=fans')).json)
    expect(list.blacklist).toEqual([])
    expect(list.history[0]).toMatchObject({ kind: 'pardon', memberId: 'wxid_bob', by: 'api' })

    // again: nothing to pardon, nothing recorded, no audit line
    const again = await call('POST', '/api/removals/fans/wxid_bob/pardon')
    expect(again.json).toMatchObject({ changed: false, strikes: 0, unbanned: false })
    expect(guardHistory(app.store, 'fans', 100)).toHaveLength(2)
    expect(logLines.filter((l) => l.audit === true && l.action === 'guard pardon')).toHaveLength(1)
  })

  it('is in the OpenAPI document, the session’s sections, and serves its page', async () => {
    const doc = (await call('GET', '/api/openapi.json')).json
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/removals', '/api/removals/{group}/{contactId}/pardon']))
    expect(doc.paths['/api/removals'].get.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['group', 'limit']))
    const session = (await call('GET', '/api/session')).json
    expect(session.sections).toContainEqual({ id: 'removals', title: '移出记录 Removals', module: '/ext/removals.js' })
    const page = await fetch(`${base}/ext/removals.js`)
    expect(page.status).toBe(200)
    expect(await page.text()).toContain('export async function render')
  })

  it('in Chromium: the section is in the menu, lists the blacklist, and its pardon button (confirmed) pardons as console', async () => {
    book().ban('wxid_carol', { name: '卡罗尔', at: Date.now(), rule: 'words', roomId: fansRoom.id, topic: '粉丝1群' })
    await app.store.durable()
    const browser = await launchBrowser()
    try {
      const { page, pageErrors, dialogs } = await watchedPage(browser)
      await loginWithToken(page, base, TOKEN)
      await page.locator('#nav a[href="#/x/removals"]', { hasText: '移出记录' }).click()
      const button = page.locator('table.blacklist button.pardon[data-member="wxid_carol"]')
      await expect(page.locator('table.blacklist').textContent()).resolves.toContain('卡罗尔（wxid_carol）')
      await button.click()
      await page.getByText('已赦免 卡罗尔（wxid_carol）').waitFor()
      await page.getByText('黑名单是空的').waitFor()
      expect(dialogs).toEqual([expect.stringContaining('赦免 卡罗尔（wxid_carol）')])
      expect(pageErrors).toEqual([])
      expect(guardStanding(app.store, 'fans', 'wxid_carol', Date.now(), WEEK).blacklisted).toBeUndefined()
      expect(guardHistory(app.store, 'fans', 1)[0]).toMatchObject({ action: 'pardon', contactId: 'wxid_carol', by: 'console' })
      expect(logLines.filter((l) => l.audit === true && l.action === 'guard pardon' && l.contact === 'wxid_carol')).toEqual([expect.objectContaining({ via: 'console' })])
    } finally {
      await browser.close()
    }
  }, 90_000)
})
