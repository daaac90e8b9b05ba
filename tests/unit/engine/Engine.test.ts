import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { defineSkill, type Skill } from '../../../src/engine/Skill.js'
import { PingSkill } from '../../../skills/ping/index.js'
import { harness } from '../../helpers/harness.js'

const yaml = `
bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      ping: {}
`

describe('Engine routing', () => {
  it('answers in a matched room and stays silent in an unmatched one', async () => {
    const h = await harness(yaml)
    const fans = h.room('粉丝1群')
    const other = h.room('家人群')
    await h.say(fans, h.member('Alice'), 'ping')
    await h.say(other, h.member('Alice'), 'ping')
    expect(h.texts(fans.id)).toEqual(['pong Alice'])
    expect(h.texts(other.id)).toEqual([])
  })

  it('a skill that throws is logged and skipped; the next skill still runs', async () => {
    const boom = defineSkill({
      name: 'boom',
      description: 'throws',
      config: z.strictObject({}),
      onMessage() {
        throw new Error('kaboom')
      },
    })
    const skills: Skill<any>[] = [boom, PingSkill]
    const h = await harness(yaml.replace('ping: {}', 'ping: {}\n      boom: {}'), { skills })
    const fans = h.room('粉丝1群')
    await h.say(fans, h.member('Alice'), 'ping')
    expect(h.texts(fans.id)).toEqual(['pong Alice'])
  })

  it('the first skill that handles a message ends the chain, in registry order', async () => {
    const calls: string[] = []
    const make = (name: string, handles: boolean) =>
      defineSkill({
        name,
        description: name,
        config: z.strictObject({}),
        onMessage() {
          calls.push(name)
          return handles
        },
      })
    const skills = [make('first', false), make('second', true), make('third', true)]
    const h = await harness(
      `groups:\n  - name: g\n    match: { topic: "*" }\n    skills: { third: {}, second: {}, first: {} }\n`,
      { skills },
    )
    await h.say(h.room('any'), h.member('A'), 'hello')
    expect(calls).toEqual(['first', 'second'])
  })

  it('counts messages, joins and leaves for #stats, which only an admin gets', async () => {
    const h = await harness(yaml)
    const fans = h.room('粉丝1群')
    await h.join(fans, [h.member('Bob'), h.member('Carol')])
    await h.leave(fans, [h.member('Carol')])
    await h.say(fans, h.member('Alice'), 'hello')
    await h.say(fans, h.member('Alice'), '#stats')
    expect(h.texts(fans.id)).toEqual([])
    await h.say(fans, h.member('Boss', 'wxid_boss'), '#stats')
    const [reply] = h.texts(fans.id)
    expect(reply).toContain('入群 2 · 退群 1')
    // hello, Alice's #stats and the boss's #stats: every message seen counts
    expect(reply).toContain('消息 3')
  })

  it('an admin is known by contact id, never by name', async () => {
    const h = await harness(yaml)
    const fans = h.room('粉丝1群')
    await h.say(fans, { id: 'wxid_impostor', name: 'wxid_boss' }, '#stats')
    expect(h.texts(fans.id)).toEqual([])
  })

  it('#reload refuses a bad config with its errors and keeps the old one', async () => {
    const h = await harness(yaml)
    const fans = h.room('粉丝1群')
    h.setReloadYaml(yaml.replace('ping: {}', 'ping: { reply: "hi {nobody}" }'))
    await h.say(fans, h.member('Boss', 'wxid_boss'), '#reload')
    expect(h.texts(fans.id)[0]).toMatch(/配置有误，未生效[\s\S]*test\.yaml:\d+:\d+: unknown template variable \{nobody\}/)
    await h.say(fans, h.member('Alice'), 'ping')
    expect(h.texts(fans.id)[1]).toBe('pong Alice')
  })

  it('#reload applies a good config', async () => {
    const h = await harness(yaml)
    const fans = h.room('粉丝1群')
    h.setReloadYaml(yaml.replace('ping: {}', 'ping: { reply: "在的 {name}" }'))
    await h.say(fans, h.member('Boss', 'wxid_boss'), '#reload')
    await h.say(fans, h.member('Alice'), 'ping')
    expect(h.texts(fans.id)).toEqual([expect.stringMatching(/配置已重新加载/), '在的 Alice'])
  })

  it('a word after the prefix that is no command is an ordinary message', async () => {
    const h = await harness(yaml.replace('ping: {}', 'ping: { triggers: ["#话题"] }'))
    const fans = h.room('粉丝1群')
    await h.say(fans, h.member('Alice'), '#话题')
    expect(h.texts(fans.id)).toEqual(['pong Alice'])
  })

  it('ignores empty and over-long texts', async () => {
    const h = await harness(yaml.replace('ping: {}', 'ping: { triggers: [x] }'))
    const fans = h.room('粉丝1群')
    await h.say(fans, h.member('Alice'), '   ')
    await h.say(fans, h.member('Alice'), 'x'.repeat(100_000))
    expect(h.sent).toEqual([])
  })
})
