import type { EventEmitter } from 'node:events'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { WechatyBuilder, type Wechaty } from 'wechaty'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { siyu } from '../../src/index.js'
import { ConfigError } from '../../src/config/problems.js'
import { silentLogger } from '../../src/log/logger.js'
import { freePort } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = (port: number) => `bot:
  admins: [wxid_boss]
  rateLimit: false
console:
  port: ${port}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
`

/** A host program's own bot: a Wechaty on a PuppetMock, started and logged in by the host. */
function hostBot() {
  const mocker = new mock.Mocker()
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) })
  const botUser = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const room = mocker.createRoom({ topic: '粉丝1群', memberIdList: [botUser.id, alice.id] })
  const said: string[] = []
  botUser.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId === botUser.id && m.payload.roomId === room.id) said.push(m.text() ?? '')
  })
  // the host's own handler: it must keep working with siyu on the bot and after siyu is gone
  const hostSaw: string[] = []
  bot.on('message', (m) => void hostSaw.push(m.text()))
  bot.on('error', () => {}) // the host's choice; puppet-mock reports harmless lookups as errors
  return { mocker, bot, botUser, alice, room, said, hostSaw }
}

/** Listeners on the bot's 'message' event (Wechaty is an EventEmitter; its interface type does not say so). */
function messageListeners(bot: Wechaty): number {
  return (bot as unknown as EventEmitter).listenerCount('message')
}

/** Active handles and timers by kind (process.getActiveResourcesInfo()), e.g. { Timeout: 3, TCPServerWrap: 1 }. */
function resources(): Record<string, number> {
  const count: Record<string, number> = {}
  for (const r of process.getActiveResourcesInfo()) count[r] = (count[r] ?? 0) + 1
  return count
}

describe('the Wechaty plugin: bot.use(siyu({ config, data }))', () => {
  let dir: string
  let cleanup: () => Promise<void>
  const stops: Array<() => Promise<unknown>> = []
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-plugin-'))
    await writeFile(join(dir, 'bot.yaml'), CONFIG(await freePort()))
  })
  afterAll(async () => {
    for (const s of stops.reverse()) await s().catch(() => {})
    await cleanup?.()
  })

  it("answers a check-in on the host's bot; its uninstaller stops siyu, takes its listeners off and leaves no timer or handle", async () => {
    const h = hostBot()
    stops.push(() => h.bot.stop())
    await h.bot.start()
    h.mocker.login(h.botUser)
    await waitFor(() => h.bot.isLoggedIn, { what: 'the host logged in' })
    const before = resources()
    const wechatyListeners = messageListeners(h.bot)

    const plugin = siyu({ config: join(dir, 'bot.yaml'), data: join(dir, 'data'), log: silentLogger })
    const uninstall = h.bot.use(plugin)
    const app = await plugin.ready
    await app.runtime.ready // installed into a bot logged in already: the rooms are loaded all the same
    expect(messageListeners(h.bot)).toBe(wechatyListeners + 1)
    // the console runs inside the host's process too
    expect((await fetch(new URL('/healthz', app.console!.url))).status).toBe(200)

    h.alice.say('签到').to(h.room)
    await waitFor(() => h.said.find((t) => t.includes('签到成功')), { what: 'the check-in confirmed through the host bot' })

    uninstall() // Wechaty's uninstaller: () => void
    await plugin.stop() // the same stop, awaited
    expect(messageListeners(h.bot)).toBe(wechatyListeners)
    expect(h.bot.isLoggedIn, 'the host bot keeps running').toBe(true)
    const replies = h.said.length
    h.alice.say('签到').to(h.room)
    await waitFor(() => h.hostSaw.filter((t) => t === '签到').length === 2, { what: "the host's own handler sees the message" })
    // the store is closed, the console closed, no timer of siyu's is left: nothing more of any
    // kind than before it was installed (the host's own come and go: wait for them to settle)
    const more = () => Object.entries(resources()).filter(([kind, n]) => n > (before[kind] ?? 0))
    await waitFor(() => more().length === 0, { timeoutMs: 5_000, what: `no more handles than before siyu; more: ${JSON.stringify(more())}, before: ${JSON.stringify(before)}` })
    expect(h.said.length, 'siyu is gone: no answer').toBe(replies)
  }, 30_000)

  it('refuses a second siyu on the same bot (one data dir), and one plugin on two bots; after an uninstall a new one may come', async () => {
    const h = hostBot()
    const other = hostBot()
    stops.push(() => h.bot.stop(), () => other.bot.stop())
    const first = siyu({ config: join(dir, 'bot.yaml'), data: join(dir, 'data-two'), log: silentLogger })
    stops.push(() => first.stop())
    h.bot.use(first)
    expect(() => h.bot.use(siyu({ config: join(dir, 'bot.yaml'), data: join(dir, 'data2'), log: silentLogger }))).toThrow(/installed on this bot .* already — one bot runs one siyu with one data dir/)
    expect(() => other.bot.use(first)).toThrow(/installed on another bot already/)
    await first.ready
    await h.bot.start()
    h.mocker.login(h.botUser)
    h.alice.say('签到').to(h.room)
    await waitFor(() => h.said.find((t) => t.includes('签到成功')), { what: 'the first siyu still answers' })
    await first.stop()

    const second = siyu({ config: join(dir, 'bot.yaml'), data: join(dir, 'data-two'), log: silentLogger })
    stops.push(() => second.stop())
    h.bot.use(second)
    await (await second.ready).runtime.ready
    h.alice.say('签到').to(h.room)
    await waitFor(() => h.said.find((t) => t.includes('今天已签到')), { what: 'the second siyu on the same data: already checked in today' })
    await second.stop()
  }, 30_000)

  it('a bad config: bot.use does not throw, ready rejects with every problem, the bot is left as it was', async () => {
    const h = hostBot()
    stops.push(() => h.bot.stop())
    const bad = join(dir, 'bad.yaml')
    await writeFile(bad, 'bot:\n  admins: [wxid_boss]\ngroups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills:\n      checkin: { points: -3 }\n')
    const listeners = messageListeners(h.bot)
    const plugin = siyu({ config: bad, data: join(dir, 'data-bad'), log: silentLogger })
    h.bot.use(plugin)
    const err = await plugin.ready.catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ConfigError)
    expect((err as ConfigError).problems.map((p) => `${p.line}:${p.col}`)).toContain('7:26')
    expect(messageListeners(h.bot)).toBe(listeners)
    await plugin.stop() // nothing to stop, and no error
    // the bot is free for a siyu that works
    const good = siyu({ config: join(dir, 'bot.yaml'), data: join(dir, 'data-good'), log: silentLogger })
    stops.push(() => good.stop())
    expect(() => h.bot.use(good)).not.toThrow()
    await good.ready
  }, 30_000)

  it('refuses accounts: (the host bot is the one account) at the line that says it', async () => {
    const h: { bot: Wechaty } = hostBot()
    stops.push(() => h.bot.stop())
    const multi = join(dir, 'multi.yaml')
    await writeFile(multi, 'accounts:\n  - { id: a, tokenEnv: TOKEN_A }\nbot:\n  admins: [wxid_boss]\ngroups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills: { checkin: {} }\n')
    const plugin = siyu({ config: multi, data: join(dir, 'data-multi'), log: silentLogger, env: { TOKEN_A: 'x' } })
    h.bot.use(plugin)
    const err = (await plugin.ready.catch((e: unknown) => e)) as ConfigError
    expect(err).toBeInstanceOf(ConfigError)
    expect(err.message).toMatch(/multi\.yaml:2:\d+: accounts: needs siyu's own process/)
  })
})
