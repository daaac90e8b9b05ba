import { readFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { formatStats } from '../../../src/engine/AdminCommands.js'
import { SKILLS } from '../../../skills/index.js'
import { AutoreplySkill } from '../../../skills/autoreply/index.js'
import type { AutoreplySettings } from '../../../skills/autoreply/config.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness } from '../../helpers/harness.js'

/** An after-sales rule (handoff: true) and a plain one; `extra` goes under autoreply. */
const config = (opts: { admins?: string; cooldown?: number; extra?: string } = {}): string => `bot:
  admins: ${opts.admins ?? '[wxid_boss, wxid_ops]'}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        rules:
          - keywords: [发货, 快递]
            reply: "{name}，下单后 48 小时内发货"
          - keywords: [退货, 退款, 换货, 漏了, 坏了, 过敏, 没收到]
            reply: "{name}，已转给客服，请稍等～"
            handoff: true
            cooldownSeconds: ${opts.cooldown ?? 0}
${opts.extra ?? ''}`

function capturedLog() {
  const lines: Array<{ msg: string; [k: string]: unknown }> = []
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)))
      done()
    },
  })
  return { log: pino({ level: 'debug' }, stream), lines }
}

async function setup(yaml = config()) {
  const logs = capturedLog()
  const h = await harness(yaml, { skills: [AutoreplySkill], log: logs.log })
  const room = h.room('粉丝1群')
  const alice = h.member('Alice')
  const privately = () => h.sent.filter((s) => s.to !== room.id)
  return { h, room, alice, logs, privately }
}

describe('autoreply: a rule that hands off (handoff: true)', () => {
  it('replies in the room, then tells each admin privately: the member, the room and the text', async () => {
    const { h, room, alice, privately } = await setup()
    await h.say(room, alice, '收到的瓶子漏了') // no @ of the bot: rules see every message
    expect(h.texts(room.id)).toEqual(['Alice，已转给客服，请稍等～'])
    const notes = privately()
    expect(notes.map((n) => n.to)).toEqual(['wxid_boss', 'wxid_ops'])
    for (const n of notes) {
      expect(n.text).toBe('【待人工回复】fans「粉丝1群」\nAlice（wxid_alice）问：收到的瓶子漏了\n原因：命中转人工规则，已按规则回复')
    }
    // the admins' notes are owed (never dropped) and the member's reply is informational, so
    // under the send queue's priorities the notes may go first: all three go out, once each
    expect(h.sent.map((s) => s.to).sort()).toEqual([room.id, 'wxid_boss', 'wxid_ops'].sort())
  })

  it('counts as answered by rules AND handed off; #stats counts the question once', async () => {
    const { h, room, alice } = await setup()
    await h.say(room, alice, '收到的瓶子漏了')
    await h.say(room, alice, '什么时候发货')
    const stats = h.engine.stats.forRoom('fans', room.id)
    expect(stats).toMatchObject({ answeredByRules: 2, handedOff: 1, answeredAndHandedOff: 1 })
    expect(formatStats(stats)[1]).toBe('提问 2：关键词回答 2 · AI 回答 0 · 转人工 1（其中规则已回复 1）')
  })

  it('a rule without handoff tells nobody', async () => {
    const { h, room, alice, privately } = await setup()
    await h.say(room, alice, '快递到哪了')
    expect(h.texts(room.id)).toEqual(['Alice，下单后 48 小时内发货'])
    expect(privately()).toEqual([])
    expect(h.engine.stats.forRoom('fans', room.id).handedOff).toBeUndefined()
  })

  it('uses ai.handoffText when the group has an ai section', async () => {
    const { h, room, alice, privately } = await setup(
      config({ extra: `        ai:\n          handoffText: "售后：{name} 在 {topic} 说「{question}」（{reason}）"\n` }),
    )
    await h.say(room, alice, '我过敏了')
    expect(privately().map((n) => n.text)).toEqual([
      '售后：Alice 在 粉丝1群 说「我过敏了」（命中转人工规则，已按规则回复）',
      '售后：Alice 在 粉丝1群 说「我过敏了」（命中转人工规则，已按规则回复）',
    ])
    // the rule's reply, not the model's fallbackReply
    expect(h.texts(room.id)).toEqual(['Alice，已转给客服，请稍等～'])
  })

  it('during its cooldown: no second reply in the room, but the admins are still told', async () => {
    const { h, room, alice, privately } = await setup(config({ cooldown: 60 }))
    const bob = h.member('Bob')
    await h.say(room, alice, '收到的瓶子漏了')
    await h.clock.advance(10_000)
    await h.say(room, bob, '我的也坏了')
    expect(h.texts(room.id)).toEqual(['Alice，已转给客服，请稍等～'])
    const toBoss = privately().filter((n) => n.to === 'wxid_boss')
    expect(toBoss).toHaveLength(2)
    expect(toBoss[1]!.text).toContain('Bob（wxid_bob）问：我的也坏了')
    expect(toBoss[1]!.text).toContain('规则冷却中，群里未再回复')
    const stats = h.engine.stats.forRoom('fans', room.id)
    expect(stats).toMatchObject({ answeredByRules: 1, handedOff: 2, answeredAndHandedOff: 1 })
    expect(formatStats(stats)[1]).toMatch(/^提问 2：/)
  })

  it('with no admins: the member still gets the reply, and the log says nobody was told', async () => {
    const { h, room, alice, logs, privately } = await setup(config({ admins: '[]' }))
    await h.say(room, alice, '要退款')
    expect(h.texts(room.id)).toEqual(['Alice，已转给客服，请稍等～'])
    expect(privately()).toEqual([])
    expect(logs.lines.find((l) => l.msg.includes('bot.admins is empty'))).toMatchObject({ reason: 'rule', rule: 2, question: '要退款' })
  })

  it('is logged with the rule number', async () => {
    const { h, room, alice, logs } = await setup()
    await h.say(room, alice, '怎么退货')
    expect(logs.lines.find((l) => l.msg === 'question handed off to the admins')).toMatchObject({ reason: 'rule', rule: 2, question: '怎么退货', admins: 2 })
  })
})

describe('autoreply handoff: config', () => {
  it('handoff must be true or false, at its line; a misspelling gets a suggestion', () => {
    const bad = config().replace('handoff: true', 'handoff: 是')
    expect(configErrors(bad, [AutoreplySkill])).toEqual(['bot.yaml:13:22: handoff is true or false'])
    const typo = config().replace('handoff: true', 'handof: true')
    expect(configErrors(typo, [AutoreplySkill])).toEqual(['bot.yaml:13:13: unknown key "handof" (did you mean "handoff"?)'])
  })

  it('the example config has an after-sales rule that hands off, with the usual words', async () => {
    const example = parseConfig('bot.example.yaml', await readFile('config/bot.example.yaml', 'utf8'), SKILLS)
    const autoreply = example.groups.find((g) => g.name === 'sisley-fans')!.skills.get('autoreply') as AutoreplySettings
    const index = autoreply.matcher.match('收到的瓶子漏了')
    expect(index).toBeDefined()
    const rule = autoreply.rules[index!]!
    expect(rule.handoff).toBe(true)
    for (const word of ['退货', '退款', '换货', '漏了', '坏了', '过敏', '没收到']) expect(autoreply.matcher.match(`我的${word}`), word).toBe(index)
    // and the others do not
    expect(autoreply.rules.filter((r) => r.handoff)).toHaveLength(1)
  })
})
