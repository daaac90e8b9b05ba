import { readFile, stat } from 'node:fs/promises'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Page } from 'playwright-core'
import { launchBrowser, type Browser } from '../helpers/browser.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { freePort, type PuppetService } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

const config = (port: number) => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${port}
  tokenEnv: SIYU_E2E_CONSOLE_TOKEN
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      autoreply:
        ai: { fallbackReply: "这个问题我先记下了，稍后请工作人员回复你～" }
      live: { remind: [5s] }
      shop:
        items:
          - { id: sample, name: 小样, price: 5, stock: 3, delivery: admin }
  - name: vip
    match: { topic: "VIP*" }
    skills:
      live: { remind: [5s] }
`

/**
 * The console in a real headless Chromium, against the bot as a child process talking to a
 * puppet service over gRPC: log in with the one-time link the bot printed, read a chart drawn
 * from the real stats, answer a hand-off and see the reply in the room, add one live to two
 * groups and see each room's reminder and start message arrive once; mark a member's order
 * done in the orders section.
 */
describe('console, end to end in a browser', () => {
  let world: BotWorld
  let svc: PuppetService
  let browser: Browser
  let page: Page
  let rooms: { fans: ReturnType<PuppetService['room']>; vip: ReturnType<PuppetService['room']> }
  let alice: ReturnType<PuppetService['contact']>
  const pageErrors: string[] = []

  beforeAll(async () => {
    world = await BotWorld.create('console-e2e', config(await freePort()))
    svc = world.svc
    alice = svc.contact('Alice', 'wxid_alice')
    const bob = svc.contact('Bob', 'wxid_bob')
    const boss = svc.contact('老板', 'wxid_boss')
    rooms = { fans: svc.room('粉丝1群', [alice, bob, boss]), vip: svc.room('VIP1群', [alice]) }
    await world.startBot()
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await world?.close()
  })

  afterAll(() => expect(pageErrors, 'errors thrown in the page').toEqual([]))

  it('logs in with the one-time link (in a file of mode 600 named in the log: stdout is no terminal); the link works once', async () => {
    const bot = world.bot!
    const named = await bot.waitForLog((l) => l.part === 'console' && typeof l.file === 'string', 'the log naming the login link file')
    const file = named.file as string
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const link = (await readFile(file, 'utf8')).trim()
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]+$/)
    const code = new URL(link).searchParams.get('code')!
    // the link is for the operator: never in the log, nor on stdout (under systemd, the journal)
    expect(bot.logs.some((l) => JSON.stringify(l).includes(code))).toBe(false)
    expect(bot.stdout.some((l) => l.includes(code))).toBe(false)
    await page.goto(link)
    await page.waitForSelector('body[data-ready="true"]')
    expect(new URL(page.url()).pathname).toBe('/')
    await expect(page.locator('tr[data-group="fans"]').textContent()).resolves.toContain('粉丝1群（4）')
    const cookies = await browser.context.cookies()
    expect(cookies.find((c) => c.name === 'siyu_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' })
    // the session's secret is in this tab's sessionStorage, not in any cookie
    const secret = (await page.evaluate('sessionStorage.getItem("siyu.session")')) as string
    expect(secret).toMatch(/^[\w-]{40,}$/)
    expect(cookies.some((c) => c.value === secret)).toBe(false)
    // the cookie alone (what any program on 127.0.0.1 would get) opens nothing
    expect((await browser.context.request.get(new URL('/api/groups', link).href)).status()).toBe(401)

    const again = await browser.context.request.post(new URL('/login', link).href, { data: { code } })
    expect(again.status()).toBe(401)
    // the next link replaced it in the file
    expect((await readFile(file, 'utf8')).trim()).not.toBe(link)
  })

  it('draws the group’s charts from the real stats', async () => {
    const bob = svc.contact('Bob2', 'wxid_bob2')
    rooms.fans.add(bob).by(svc.contact('老板2', 'wxid_boss2'))
    alice.say('签到').to(rooms.fans)
    await svc.waitForText(rooms.fans, 'Alice 签到成功')
    svc.mocker.ContactMock.load('wxid_bob').say('签到').to(rooms.fans)
    await svc.waitForText(rooms.fans, 'Bob 签到成功')

    await page.goto(page.url().replace(/#.*$/, '') + '#/group/fans')
    await page.waitForSelector('#chart-members svg path', { state: 'attached' })
    await page.waitForSelector('#chart-questions svg path', { state: 'attached' })
    // a string, so the test runner leaves its import() alone: the page's own ECharts module
    const series = (await page.evaluate(`(async () => {
      const echarts = await import('/vendor/echarts/echarts.esm.min.mjs')
      const option = echarts.getInstanceByDom(document.getElementById('chart-members')).getOption()
      return { days: option.xAxis[0].data.length, series: option.series.map((s) => [s.name, s.data.at(-1)]) }
    })()`)) as { days: number; series: Array<[string, number]> }
    expect(series.days).toBe(30)
    expect(series.series).toEqual([
      ['入群', 1],
      ['退群', 0],
      ['签到', 2],
    ])
    await expect(page.locator('.card', { hasText: '积分榜' }).textContent()).resolves.toContain('Alice')
  })

  it('answers a hand-off from the inbox: the reply is said in the room @ the member', async () => {
    alice.say('@siyu小助手 什么时候发货？', [svc.botUser]).to(rooms.fans)
    await svc.waitForText(rooms.fans, '稍后请工作人员回复你')
    await page.goto(page.url().replace(/#.*$/, '') + '#/inbox')
    const card = page.locator('[data-handoff="h1"]')
    await card.waitFor()
    await expect(card.textContent()).resolves.toContain('什么时候发货？')
    await expect(card.textContent()).resolves.toContain('Alice（wxid_alice）')
    await card.locator('textarea').fill('今天下午发货，请留意物流～')
    await card.locator('button.reply').click()
    const said = await svc.waitForText(rooms.fans, '今天下午发货')
    expect(said).toBe('@Alice\u2005今天下午发货，请留意物流～')
    await page.getByText('没有待处理的问题').waitFor()
  })

  it('adds one live to two groups from the lives page: each room gets its reminder and start message once', async () => {
    await page.goto(page.url().replace(/#.*$/, '') + '#/lives')
    await page.locator('input[name=title]').waitFor()
    const start = Math.ceil((Date.now() + 20_000) / 1000) * 1000
    await page.locator('input[name=title]').fill('双十一新品首发')
    await page.locator('input[name=start]').fill(DateTime.fromMillis(start, { zone: 'Asia/Shanghai' }).toFormat("yyyy-MM-dd'T'HH:mm:ss"))
    await page.locator('input[name=link]').fill('https://example.invalid/live')
    await page.locator('input[name=group][value=fans]').check()
    await page.locator('input[name=group][value=vip]').check()
    await page.locator('form button[type=submit]').click()
    await page.getByText('已添加直播 a1（fans、vip）').waitFor()
    await expect(page.locator('tr[data-live="a1"]').textContent()).resolves.toContain('fans、vip')

    const of = (room: typeof rooms.fans, prefix: string) => svc.textsIn(room).filter((t) => t.startsWith(prefix))
    for (const room of [rooms.fans, rooms.vip]) {
      await waitFor(() => of(room, '【开播啦】双十一新品首发').length > 0, { timeoutMs: start - Date.now() + 10_000, what: `the start message in ${room.payload.topic}` })
    }
    for (const room of [rooms.fans, rooms.vip]) {
      expect(of(room, '【直播预告】双十一新品首发 5秒后开播')).toHaveLength(1)
      expect(of(room, '【开播啦】双十一新品首发')).toHaveLength(1)
    }
    const audit = world.bot!.logs.find((l) => l.audit === true && l.action === 'live.add')
    expect(audit).toMatchObject({ via: 'console', groups: ['fans', 'vip'] })
  }, 60_000)

  it('lists a member’s order in the orders section; marking it done changes its status; cancel asks first', async () => {
    alice.say('兑换 sample').to(rooms.fans)
    await svc.waitForText(rooms.fans, '（订单 1）')
    await page.goto(page.url().replace(/#.*$/, '') + '#/x/orders')
    const row = page.locator('tr[data-order="1@fans"]')
    await expect(row.textContent()).resolves.toMatch(/Alice.*小样.*待处理/)
    await row.locator('button.done').click()
    await page.getByText('订单 1 已标记完成：Alice 的 小样').waitFor()
    await page.getByText('没有待处理的订单').waitFor()
    await page.locator('button[data-tab="done"]').click()
    await expect(page.locator('tr[data-order="1@fans"] td.status').textContent()).resolves.toBe('已完成')
    await world.bot!.waitForLog((l) => l.audit === true && l.action === 'order.done' && l.via === 'console' && l.order === '1', 'audit: order done from the console')

    // cancel asks first; confirmed, the points come back
    alice.say('兑换 sample').to(rooms.fans)
    await svc.waitForText(rooms.fans, '（订单 2）')
    await page.locator('button[data-tab="pending"]').click()
    const second = page.locator('tr[data-order="2@fans"]')
    await second.locator('button.cancel').click()
    await second.locator('input[name=note]').fill('缺货')
    await second.locator('button.confirm-cancel').click()
    await page.getByText('订单 2 已取消，退回 5 分（现有 5 分），库存已恢复').waitFor()
  })
})
