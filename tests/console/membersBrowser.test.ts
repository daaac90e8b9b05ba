import { readFile } from 'node:fs/promises'
import { parse } from 'csv-parse/sync'
import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FakeClock } from '../../src/clock/FakeClock.js'
import { launchBrowser, loginWithToken, type Browser } from '../helpers/browser.js'
import { harness, type Harness } from '../helpers/harness.js'
import { HARNESS_TOKEN, harnessConsole } from '../helpers/harnessConsole.js'

const DAY = 86_400_000

const YAML = `
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
`

/**
 * The 会员 and 流失 pages in a real headless Chromium against the real ConsoleServer (data
 * from events on the fake clock): search by a Chinese nickname, open the profile and its
 * timeline, export the CSV and read it back, draw the churn charts, forget from the profile.
 */
describe('console pages: 会员 and 流失 in Chromium', () => {
  let h: Harness
  let c: Awaited<ReturnType<typeof harnessConsole>>
  let browser: Browser
  let page: Page
  const pageErrors: string[] = []

  beforeAll(async () => {
    h = await harness(YAML, { clock: new FakeClock(Date.now() - 3 * DAY) })
    c = await harnessConsole(h)
    const room = h.room('粉丝1群', 'fans1@chatroom')
    await h.join(room, [{ id: 'wxid_xm', name: '小美', nick: '小美酱' }, { id: 'wxid_dz', name: '大壮' }])
    await h.say(room, { id: 'wxid_xm', name: '小美', nick: '小美酱' }, '签到')
    await h.clock.advance(DAY)
    await h.leave(room, [{ id: 'wxid_dz', name: '大壮' }])
    await h.flush()
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.on('pageerror', (e) => pageErrors.push(e.message))
    // through the login form: the page keeps the session's secret and sends it with every request
    await loginWithToken(page, c.base, HARNESS_TOKEN)
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await c?.close()
  })

  afterAll(() => expect(pageErrors, 'errors thrown in the page').toEqual([]))

  it('searches by a Chinese nickname, opens the profile with its timeline', async () => {
    await page.goto(`${c.base}/#/members`)
    await page.waitForSelector('#member-results tr[data-member]')
    await page.fill('input[name="q"]', '小美酱')
    await page.click('#member-search button[type="submit"]')
    await page.waitForFunction(() => document.querySelectorAll('#member-results tr[data-member]').length === 1)
    await page.click('#member-results tr[data-member="wxid_xm"] a')
    await page.waitForSelector('#timeline tr[data-kind="checkin"]')
    expect(await page.locator('#profile h1').textContent()).toContain('小美')
    expect(await page.locator('#profile').textContent()).toContain('小美酱')
    const kinds = await page.locator('#timeline tr[data-kind]').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.kind))
    expect(kinds).toEqual(['messages', 'checkin', 'join'])
  })

  it('exports the CSV from the list and reads it back (UTF-8 with BOM, the Chinese names intact)', async () => {
    await page.goto(`${c.base}/#/members`)
    await page.waitForSelector('#member-results tr[data-member]')
    await page.selectOption('select[name="status"]', 'left')
    await page.click('#member-search button[type="submit"]')
    await page.waitForFunction(() => document.querySelectorAll('#member-results tr[data-member]').length === 1)
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#member-csv')])
    const bytes = await readFile((await download.path())!)
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const rows = parse(bytes.toString('utf8'), { bom: true, columns: true }) as Array<Record<string, string>>
    expect(rows).toHaveLength(1)
    expect(rows[0]).toMatchObject({ id: 'wxid_dz', name: '大壮', status: 'left', leftGroups: 'fans' })
  })

  it('draws the churn charts for the group', async () => {
    await page.goto(`${c.base}/#/churn/fans/30`)
    await page.waitForSelector('#chart-flow svg path', { state: 'attached' })
    await page.waitForSelector('#chart-silent svg path', { state: 'attached' })
    const joins = await page.evaluate(`(async () => {
      const echarts = await import('/vendor/echarts/echarts.esm.min.mjs')
      return echarts.getInstanceByDom(document.getElementById('chart-flow')).getOption().series[0].data
    })()`)
    expect((joins as number[]).reduce((a, b) => a + b, 0)).toBe(2)
  })

  it('forgets a member from the profile, after a confirmation', async () => {
    await page.goto(`${c.base}/#/members/wxid_dz`)
    await page.waitForSelector('#forget')
    page.once('dialog', (d) => void d.accept())
    await page.click('#forget')
    await page.waitForFunction(() => location.hash === '#/members')
    expect((await c.call('GET', '/api/members/wxid_dz')).status).toBe(404)
    expect(h.engine.members.get('wxid_dz')).toBeUndefined()
  })
})
