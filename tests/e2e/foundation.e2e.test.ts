import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'

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
  let world: BotWorld

  beforeAll(async () => {
    world = await BotWorld.create('e2e', CONFIG)
  })

  afterAll(async () => world?.close())

  it('answers in a matched room and stays silent in an unmatched one; keeps its state across a restart', async () => {
    const svc = world.svc
    const alice = svc.contact('Alice')
    const boss = svc.contact('老板', 'wxid_boss')
    const fans = svc.room('粉丝1群', [alice, boss])
    const family = svc.room('家人群', [alice])

    let bot = await world.startBot()

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
    // every admin action leaves an audit line: who, what, where
    expect(bot.logs.find((l) => l.audit === true)).toMatchObject({ admin: 'wxid_boss', command: '#stats', room: fans.id, group: 'fans' })

    // restart: SIGTERM exits 0 in time, and the new process has the old numbers
    expect(await bot.stop()).toBe(0)
    bot = await world.startBot()
    boss.say('#stats').to(fans)
    await svc.waitForText(fans, /消息 4/)
    expect(svc.textsIn(fans).filter((t) => t.includes('今日数据'))).toHaveLength(2)
  }, 120_000)

  it('exits 2 on a bad config, printing file:line:col', async () => {
    const bad = join(world.dir, 'bad.yaml')
    await writeFile(bad, CONFIG.replace('pong {name}', 'pong {nmae}'))
    const p = await world.startBot({ config: bad, ready: false })
    expect(await p.exited).toBe(2)
    expect(p.stderr.join('\n')).toContain(`${bad}:8:46: unknown template variable {nmae}`)
  }, 60_000)

  it('exits 3 on a corrupt data file, naming it, and leaves it as it was', async () => {
    const dataDir = join(world.dir, 'corrupt-data')
    await mkdir(join(dataDir, 'checkin'), { recursive: true })
    const file = join(dataDir, 'checkin', 'pool%3afans.json')
    await writeFile(file, '{"members": {"wxid_a": {"total": 10}')
    const bot = new BotProcess({ config: world.configPath, data: dataDir, env: world.svc.env(), home: world.dir })
    expect(await bot.exited).toBe(3)
    expect(bot.stderr.join('\n')).toContain(`corrupt data file ${file}`)
    expect(await readFile(file, 'utf8')).toBe('{"members": {"wxid_a": {"total": 10}')
  }, 60_000)
})
