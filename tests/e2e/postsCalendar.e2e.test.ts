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
console:
  port: ${port}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      posts:
        - id: morning
          when: "每天 09:00"
          send: 早上好
      live:
        lives: [{ id: d12, title: 双12直播, start: "${DateTime.now().setZone('Asia/Shanghai').plus({ days: 2 }).toFormat('yyyy-MM-dd')} 20:00" }]
  - name: vip
    match: { topic: "VIP*" }
    skills: { posts: [] }
`

/**
 * The content calendar (内容日历) in a real headless Chromium, against the bot as a child
 * process over gRPC: the week shows every group's posts and lives; a post added from the page
 * for two groups is on the calendar, goes out once in each room at its time, and the delivery
 * log says so.
 */
describe('content calendar, end to end in a browser', () => {
  let world: BotWorld
  let svc: PuppetService
  let browser: Browser
  let page: Page
  let rooms: { fans: ReturnType<PuppetService['room']>; vip: ReturnType<PuppetService['room']> }
  const pageErrors: string[] = []

  beforeAll(async () => {
    world = await BotWorld.create('posts-calendar-e2e', config(await freePort()))
    svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    rooms = { fans: svc.room('粉丝1群', [alice]), vip: svc.room('VIP1群', [alice]) }
    await world.startBot()
    browser = await launchBrowser()
    page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    page.on('pageerror', (e) => pageErrors.push(e.message))
    const bot = world.bot!
    const line = await waitFor(() => bot.stdout.find((l) => l.includes('/login?code=')), { what: 'the login link on the terminal' })
    await page.goto(/(http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]+)/.exec(line)![1]!)
    await page.waitForSelector('body[data-ready="true"]')
  }, 90_000)

  afterAll(async () => {
    await browser?.close()
    await world?.close()
  })

  afterAll(() => expect(pageErrors, 'errors thrown in the page').toEqual([]))

  it('the week shows every group’s posts and lives; the month view too', async () => {
    await page.goto(page.url().replace(/#.*$/, '') + '#/calendar')
    await page.locator('#calendar .day').first().waitFor()
    expect(await page.locator('#calendar .day').count()).toBe(7)
    expect(await page.locator('#calendar .item[data-kind=post][data-id=morning]').count()).toBeGreaterThanOrEqual(6)
    await expect(page.locator('#calendar .item[data-kind=live][data-id=d12]').textContent()).resolves.toContain('双12直播')
    await page.locator('button[data-view=month]').click()
    await page.waitForFunction(() => document.querySelectorAll('#calendar .day').length === 42)
    await page.locator('button[data-view=week]').click()
    await page.waitForFunction(() => document.querySelectorAll('#calendar .day').length === 7)
  })

  it('a post added from the page for two groups is on the calendar and sent once in each room', async () => {
    // the next whole minute at least 40 s away
    const due = DateTime.now().setZone('Asia/Shanghai').plus({ seconds: 40 }).startOf('minute').plus({ minutes: 1 })
    await page.locator('#post-form input[name=when]').fill(due.toFormat('yyyy-MM-dd HH:mm'))
    await page.locator('#post-form textarea[name=text]').fill('限时快闪：今晚 8 点开抢\n\n名额有限')
    await page.locator('#post-form input[name=group][value=fans]').check()
    await page.locator('#post-form input[name=group][value=vip]').check()
    await page.locator('#post-form button[type=submit]').click()
    await page.getByText('已添加定时群发 c1').waitFor()
    // on the calendar, once for each group, on its day
    const cell = page.locator(`#calendar .day[data-day="${due.toFormat('yyyy-MM-dd')}"]`)
    await expect(cell.locator('.item[data-id=c1]').count()).resolves.toBe(2)
    await expect(page.locator('#posts tr[data-post=c1]').textContent()).resolves.toContain('fans、vip')
    const audit = world.bot!.logs.find((l) => l.audit === true && l.action === 'post.add')
    expect(audit).toMatchObject({ via: 'console', post: 'c1', groups: ['fans', 'vip'] })

    for (const room of [rooms.fans, rooms.vip]) {
      await waitFor(() => svc.textsIn(room).includes('名额有限') || undefined, { timeoutMs: due.toMillis() - Date.now() + 30_000, what: `the post in ${room.payload.topic}` })
    }
    for (const room of [rooms.fans, rooms.vip]) expect(svc.textsIn(room)).toEqual(['限时快闪：今晚 8 点开抢', '名额有限'])

    // the delivery log says it went to each room
    await page.reload()
    const rows = page.locator('#deliveries tr[data-post=c1][data-status=sent]')
    await rows.first().waitFor()
    expect(await rows.count()).toBe(2)
  }, 180_000)
})
