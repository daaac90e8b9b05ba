import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AiStub } from '../helpers/aiStub.js'
import type { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import type { PuppetService } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

const KEY = 'sk-e2e-7f3a9c1d5b-NEVER-LOGGED'
const KNOWLEDGE = '小样政策：每单满 500 元送小样一份。'
const FALLBACK = '这个问题我先记下了，稍后请工作人员回复你～'

const config = (stubURL: string, knowledge: string): string => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss, wxid_ops]
ai:
  model: stub-model
  baseURL: ${stubURL}
  apiKeyEnv: SIYU_TEST_AI_KEY
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        rules:
          - keywords: [漏了, 坏了, 没收到]
            reply: "{name}，抱歉！已转给客服，稍后私信你～"
            handoff: true
          - keywords: [发货, 快递]
            reply: "{name}，下单后 48 小时内发货"
          - regex: "优惠(券|码)"
            reply: "领券入口在群公告"
            cooldownSeconds: 60
          - exact: 群规
            reply: "群规：友善交流，不发广告"
        ai:
          knowledge: ${JSON.stringify(knowledge)}
          systemPrompt: "你是希思黎粉丝群的小助手，只回答产品和订单相关的问题。"
          timeoutSeconds: 2
`

describe('autoreply, end to end over wechaty-puppet-service (gRPC) with a stub model', () => {
  let world: BotWorld
  let svc: PuppetService
  let stub: AiStub
  let bot: BotProcess
  let alice: ReturnType<PuppetService['contact']>
  let boss: ReturnType<PuppetService['contact']>
  let ops: ReturnType<PuppetService['contact']>
  let room: ReturnType<PuppetService['room']>

  beforeAll(async () => {
    stub = await AiStub.start()
    world = await BotWorld.create('e2e-autoreply')
    await writeFile(join(world.dir, 'faq.md'), KNOWLEDGE)
    await world.writeConfig(config(stub.baseURL, join(world.dir, 'faq.md')))
    svc = world.svc
    alice = svc.contact('Alice', 'wxid_alice')
    boss = svc.contact('老板', 'wxid_boss')
    ops = svc.contact('运营', 'wxid_ops') // an admin who is not in the room
    room = svc.room('粉丝1群', [alice, boss])
    bot = await world.startBot({ env: { SIYU_TEST_AI_KEY: KEY } })
  }, 50_000)

  afterAll(async () => {
    await world?.close()
    await stub?.close()
  })

  /** A member @s the bot, as WeChat sends it: the text and the mention. */
  const ask = (question: string): void => void alice.say(`@siyu小助手 ${question}`, [svc.botUser]).to(room)
  const fallbacks = (): number => svc.textsIn(room).filter((t) => t.includes(FALLBACK)).length

  it('rules: keyword, regex with a cooldown, exact', async () => {
    alice.say('请问什么时候发货？').to(room)
    expect(await svc.waitForText(room, '48 小时')).toBe('Alice，下单后 48 小时内发货')
    alice.say('有优惠券吗').to(room)
    await svc.waitForText(room, '领券入口')
    alice.say('优惠码呢').to(room)
    await bot.waitForLog((l) => l.msg === 'rule cooling down; message swallowed', 'the regex rule cooling down')
    alice.say('群规').to(room)
    await svc.waitForText(room, '群规：')
    expect(svc.textsIn(room).filter((t) => t.includes('领券入口'))).toHaveLength(1)
  })

  it('an after-sales rule (handoff: true): a message without @ gets the reply, and each admin a private note', async () => {
    alice.say('收到的瓶子漏了').to(room)
    expect(await svc.waitForText(room, '已转给客服')).toBe('Alice，抱歉！已转给客服，稍后私信你～')
    for (const admin of [boss, ops]) {
      const note = await waitFor(() => svc.said.find((s) => s.to === admin.id && s.text.includes('收到的瓶子漏了')), { what: `hand-off to ${admin.id}` })
      expect(note.roomId, 'a private message, not in a room').toBeFalsy()
      expect(note.text).toBe('【待人工回复】fans「粉丝1群」\nAlice（wxid_alice）问：收到的瓶子漏了\n原因：命中转人工规则，已按规则回复')
    }
    await bot.waitForLog((l) => l.msg === 'question handed off to the admins' && l.reason === 'rule', 'the rule hand-off in the log')
    expect(stub.requests).toHaveLength(0) // a rule answered: the model was not asked
  })

  it('an @-mention no rule answers goes to the model, with the knowledge and without the key', async () => {
    stub.set({ answer: '满 500 元就送小样哦' })
    ask('买多少送小样？')
    expect(await svc.waitForText(room, '送小样哦')).toMatch(/^@Alice.满 500 元就送小样哦$/u)
    const req = stub.requests.at(-1)!
    expect(req.authorization).toBe(`Bearer ${KEY}`)
    expect(req.raw).not.toContain(KEY)
    expect(stub.prompts().at(-1)!.system).toContain(KNOWLEDGE)
    expect(stub.prompts().at(-1)!.user).toContain('买多少送小样？')
  })

  it('a slow model: the member gets the fallback, the admin a private message', async () => {
    const before = fallbacks()
    stub.set({ delayMs: 10_000 })
    ask('小样是什么？')
    await waitFor(() => fallbacks() === before + 1, { what: 'fallback after a timeout' })
    const note = await waitFor(() => svc.said.find((s) => s.to === boss.id && s.text.includes('小样是什么')), { what: 'hand-off to the admin' })
    expect(note.text).toContain('粉丝1群')
    expect(note.text).toContain('Alice（wxid_alice）')
    expect(note.text).toContain('超时')
  })

  it('a failing model (HTTP 500): the same', async () => {
    const before = fallbacks()
    stub.set({ status: 500 })
    ask('可以退货吗？')
    await waitFor(() => fallbacks() === before + 1, { what: 'fallback after a 500' })
    const note = await waitFor(() => svc.said.find((s) => s.to === boss.id && s.text.includes('可以退货吗')), { what: 'hand-off after a 500' })
    expect(note.text).toContain('出错')
  })

  it('every question is logged; the key is in no log line', () => {
    expect(bot.stdout.join('\n')).not.toContain(KEY)
    expect(bot.stderr.join('\n')).not.toContain(KEY)
    expect(bot.logs.filter((l) => l.msg === 'question for the model').map((l) => l.question)).toEqual(['买多少送小样？', '小样是什么？', '可以退货吗？'])
  })
})
