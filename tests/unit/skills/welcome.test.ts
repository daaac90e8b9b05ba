import { describe, expect, it } from 'vitest'
import { WelcomeSkill } from '../../../skills/welcome/index.js'
import { harness } from '../../helpers/harness.js'
import { MENTION_END } from '../../../src/text/Outgoing.js'

const yaml = (extra = '') => `
bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome:
        text: "欢迎 {names} 加入{topic}！你是第 {count} 位家人"
        ${extra}
`

describe('welcome: the entry ritual', () => {
  it('turns 50 joins inside the window into ONE welcome that @s all of them', async () => {
    const h = await harness(yaml(), { skills: [WelcomeSkill] })
    const room = h.room('粉丝1群')
    const people = Array.from({ length: 50 }, (_, i) => h.member(`新人${i}`, `wxid_new${i}`))
    // as the puppet reports them: in several events over a few seconds
    for (let i = 0; i < 50; i += 10) {
      await h.join(room, people.slice(i, i + 10), 100 + i + 10)
      await h.clock.advance(1_000)
    }
    expect(h.sent).toHaveLength(0)
    await h.clock.advance(10_000)
    expect(h.sent).toHaveLength(1)
    const [msg] = h.sent
    expect(msg!.mentionIds).toEqual(people.map((p) => p.id))
    expect(msg!.text).toMatch(new RegExp(`^欢迎 @新人0${MENTION_END}@新人1${MENTION_END}`))
    expect(msg!.text).toContain('加入粉丝1群！你是第 150 位家人')
  })

  it('joins in different windows get separate welcomes; the first joiner waits at most batchSeconds', async () => {
    const h = await harness(yaml('batchSeconds: 5'), { skills: [WelcomeSkill] })
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('A')], 11)
    await h.clock.advance(4_000)
    await h.join(room, [h.member('B')], 12)
    await h.clock.advance(1_000)
    expect(h.sent.map((s) => s.mentionIds)).toEqual([['wxid_a', 'wxid_b']])
    await h.join(room, [h.member('C')], 13)
    await h.clock.advance(5_000)
    expect(h.sent.map((s) => s.mentionIds)).toEqual([['wxid_a', 'wxid_b'], ['wxid_c']])
  })

  it('welcomes a join the puppet reports twice once, and counts it once', async () => {
    const h = await harness(yaml('batchSeconds: 0'), { skills: [WelcomeSkill] })
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('A')])
    await h.clock.advance(30_000)
    await h.join(room, [h.member('A')])
    await h.clock.advance(1_000)
    expect(h.sent).toHaveLength(1)
    expect(h.engine.stats.forRoom('fans', room.id).joins).toBe(1)
  })

  it('welcomes again someone who left and came back', async () => {
    const h = await harness(yaml('batchSeconds: 0'), { skills: [WelcomeSkill] })
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('A')])
    await h.leave(room, [h.member('A')])
    await h.join(room, [h.member('A')])
    await h.clock.advance(1_000)
    expect(h.sent).toHaveLength(2)
    expect(h.engine.stats.forRoom('fans', room.id)).toMatchObject({ joins: 2, leaves: 1 })
  })

  it('does not welcome someone who left before the welcome went out', async () => {
    const h = await harness(yaml(), { skills: [WelcomeSkill] })
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('A'), h.member('B')])
    await h.leave(room, [h.member('A')])
    await h.clock.advance(10_000)
    expect(h.sent.map((s) => s.mentionIds)).toEqual([['wxid_b']])
  })

  it('is silent in rooms of groups without the skill', async () => {
    const h = await harness(yaml(), { skills: [WelcomeSkill] })
    await h.join(h.room('家人群'), [h.member('A')])
    await h.clock.advance(60_000)
    expect(h.sent).toHaveLength(0)
  })
})
