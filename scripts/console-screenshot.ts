/**
 * Takes the README's console screenshots (docs/console*.png): the whole bot in process on a
 * PuppetMock with a month of made-up numbers, the page in headless Chromium (the test setup).
 * `node --import tsx scripts/console-screenshot.ts`. Chinese glyphs need a CJK font on the
 * machine (Debian: `apt-get install fonts-noto-cjk`); the tests do not.
 */
process.env.WECHATY_LOG ??= 'silent'

import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { mock, PuppetMock } from 'wechaty-puppet-mock'
import { HandoffInbox } from '../src/inbox/HandoffInbox.js'
import { pointsBook } from '../src/engine/SkillContext.js'
import { silentLogger } from '../src/log/logger.js'
import { startApp } from '../src/runtime/App.js'
import { segment } from '../src/store/Store.js'
import { launchBrowser } from '../tests/helpers/browser.js'
import { freePort } from '../tests/helpers/PuppetService.js'
import { tempDir } from '../tests/helpers/tmp.js'

const { dir, cleanup } = await tempDir('siyu-shot-')
await writeFile(
  join(dir, 'bot.yaml'),
  `bot:
  admins: [wxid_admin]
console: { port: ${await freePort()} }
groups:
  - name: 希思黎粉丝
    match: { topic: "希思黎粉丝*" }
    skills: { checkin: { pool: sisley }, live: {}, autoreply: { ai: {} } }
  - name: 会员VIP
    match: { topic: "会员VIP*" }
    skills: { checkin: { pool: sisley }, live: {} }
  - name: 新品体验官
    match: { topic: "新品体验*" }
    skills: { checkin: {}, live: {} }
`,
)
const mocker = new mock.Mocker()
const puppet = new PuppetMock({ mocker })
puppet.on('error', () => {})
const bot = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
const names = ['王小美', '李晓雪', 'Cindy', '陈佳怡', '张婷婷', 'Amber', '刘思琪', '赵雨桐', '孙悦', '周可可']
const people = names.map((name, i) => mocker.createContact({ name, id: `wxid_fan${i}` }))
const topics = ['希思黎粉丝1群', '希思黎粉丝2群', '会员VIP群', '新品体验官群']
const rooms = topics.map((topic, i) => mocker.createRoom({ id: `room${i}@chatroom`, topic, memberIdList: [bot.id, ...people.slice(0, 4 + i * 2).map((p) => p.id)] }))
const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log: silentLogger, puppet, stdout: new Writable({ write: (_c, _e, cb) => cb() }) })
mocker.login(bot)
await app.runtime.ready

// a month of numbers, a leaderboard, two open questions, two lives
const time = app.engine.time
const now = Date.now()
let day = time.dayKey(now)
for (let d = 0; d < 30; d++) {
  const wave = Math.round(6 * Math.sin(d / 3)) + 12
  rooms.forEach((room, r) => {
    const group = r < 2 ? '希思黎粉丝' : r === 2 ? '会员VIP' : '新品体验官'
    app.store.set(`core/stats/${segment(group)}/${day}/${segment(room.id)}`, {
      messages: 120 + wave * 5,
      joins: (wave + r) % 7,
      leaves: (d + r) % 3,
      checkins: 20 + wave + r,
      answeredByRules: 8 + (d % 5),
      answeredByModel: 4 + (wave % 4),
      handedOff: d % 3,
    })
  })
  day = time.previousDay(day)
}
const book = pointsBook(app.store, 'sisley')
people.forEach((p, i) => {
  book.adjust(p.id, 600 - i * 47, 'adjust', { now, day: time.dayKey(now), group: '希思黎粉丝', note: 'seed' })
  book.members.update(p.id, (row) => row && { ...row, name: names[i]!, streak: 30 - i * 3 })
})
const inbox = HandoffInbox.of(app.store)
inbox.open({ group: '希思黎粉丝', roomId: rooms[0]!.id, roomTopic: topics[0]!, memberId: 'wxid_fan2', memberName: 'Cindy', text: '黑玫瑰面霜敏感肌可以用吗？', reason: 'model-off', reasonText: '未接入 AI 模型', at: now - 25 * 60_000 })
inbox.open({ group: '会员VIP', roomId: rooms[2]!.id, roomTopic: topics[2]!, memberId: 'wxid_fan4', memberName: '张婷婷', text: '上次的订单还没有发货，麻烦帮我查一下', reason: 'timeout', reasonText: 'AI 回答超时', at: now - 4 * 60_000 })
await app.store.durable()
const base = app.console!.url

const browser = await launchBrowser({ env: { FONTCONFIG_FILE: await fontConfig() } })
try {
  const page = await browser.context.newPage()
  await page.goto(app.console!.server.loginUrl())
  await page.waitForSelector('body[data-ready="true"]')
  // two lives for both fan groups, added through the page's own API session
  await page.evaluate(`(async () => {
    const secret = sessionStorage.getItem('siyu.session')
    const add = (title, start) => fetch('/api/lives', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': secret }, body: JSON.stringify({ groups: ['希思黎粉丝', '会员VIP'], title, start }) })
    await add('双十一新品首发：黑玫瑰系列', '${time.formatLocal(now + 2 * 86_400_000)}')
    await add('会员专场：全能乳液买一送一', '${time.formatLocal(now + 5 * 86_400_000)}')
  })()`)
  await mkdir('docs', { recursive: true })
  await page.goto(`${base}/#/`)
  await page.waitForSelector('tr[data-group]')
  await page.screenshot({ path: 'docs/console-overview.png' })
  await page.goto(`${base}/#/group/${encodeURIComponent('希思黎粉丝')}`)
  await page.waitForSelector('#chart-questions svg path', { state: 'attached' })
  await page.waitForTimeout(800) // ECharts animates its first draw
  await page.screenshot({ path: 'docs/console.png', fullPage: true })
  await page.goto(`${base}/#/inbox`)
  await page.waitForSelector('[data-handoff]')
  await page.screenshot({ path: 'docs/console-inbox.png' })
  console.log('wrote docs/console.png, docs/console-overview.png, docs/console-inbox.png')
} finally {
  await browser.close()
  await app.stop()
  await cleanup()
}

/** The packaged Chromium reads only its own font folder: add the system's (CJK) fonts. */
async function fontConfig(): Promise<string> {
  const file = join(process.cwd(), '.tmp', 'fonts-with-system.conf')
  await mkdir(join(process.cwd(), '.tmp'), { recursive: true })
  await writeFile(file, `<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n  <dir>/usr/share/fonts</dir>\n  <dir>${join(process.cwd(), '.tmp', 'fonts')}</dir>\n  <cachedir>${join(process.cwd(), '.tmp', 'fonts-cache')}</cachedir>\n</fontconfig>\n`)
  return file
}
