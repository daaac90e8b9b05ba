import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { PuppetService } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      ping: { triggers: [ping], reply: "pong {name}" }
`

describe('foundation, end to end over wechaty-puppet-service (gRPC)', () => {
  let svc: PuppetService
  let dir: string
  let cleanup: () => Promise<void>
  let bot: BotProcess | undefined

  const startBot = (config = join(dir, 'bot.yaml')): BotProcess =>
    new BotProcess({ config, data: join(dir, 'data'), env: svc.env(), home: dir })

  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-e2e-'))
    await writeFile(join(dir, 'bot.yaml'), CONFIG)
    svc = await PuppetService.start()
  })

  afterAll(async () => {
    await bot?.stop().catch(() => {})
    await svc?.close()
    await cleanup?.()
  })

  it('answers in a matched room and stays silent in an unmatched one; keeps its state across a restart', async () => {
    const alice = svc.contact('Alice')
    const boss = svc.contact('老板', 'wxid_boss')
    const fans = svc.room('粉丝1群', [alice, boss])
    const family = svc.room('家人群', [alice])

    bot = startBot()
    await bot.ready()

    alice.say('ping').to(family)
    await bot.waitForLog((l) => l.msg === 'message in a room no group matches; ignored' && l.room === family.id, 'the unmatched room ignored')
    alice.say('ping').to(fans)
    expect(await svc.waitForText(fans, 'pong')).toBe('pong Alice')
    expect(svc.textsIn(family)).toEqual([])

    // a non-admin's command is swallowed; the admin's is answered
    alice.say('#stats').to(fans)
    await bot.waitForLog((l) => l.msg === 'command from a non-admin; ignored', 'non-admin command ignored')
    boss.say('#stats').to(fans)
    expect(await svc.waitForText(fans, '今日数据')).toContain('消息 3')

    // restart: SIGTERM exits 0 in time, and the new process has the old numbers
    expect(await bot.stop()).toBe(0)
    bot = startBot()
    await bot.ready()
    boss.say('#stats').to(fans)
    await svc.waitForText(fans, /消息 4/)
    expect(svc.textsIn(fans).filter((t) => t.includes('今日数据'))).toHaveLength(2)
  }, 120_000)

  it('exits 2 on a bad config, printing file:line:col', async () => {
    const bad = join(dir, 'bad.yaml')
    await writeFile(bad, CONFIG.replace('pong {name}', 'pong {nmae}'))
    const p = startBot(bad)
    expect(await p.exited).toBe(2)
    expect(p.stderr.join('\n')).toContain(`${bad}:8:46: unknown template variable {nmae}`)
  }, 60_000)
})
