import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { pointsBook } from '../../../src/engine/SkillContext.js'
import { harness } from '../../helpers/harness.js'

const YAML = `
bot:
  admins: [wxid_boss]
groups:
  - name: plain
    match: { topic: "普通*" }
    skills:
      checkin: {}
      ping: { triggers: ["#toString", "#constructor"] }
  - name: full
    match: { topic: "全功能*" }
    skills:
      checkin: {}
      points: {}
`

const boss = { id: 'wxid_boss', name: '老板' }

describe('admin commands where their skill is off', () => {
  it('every built-in skill’s command, in a group without that skill: one line naming skills.<skill>, nothing changed', async () => {
    const h = await harness(YAML)
    const room = h.room('普通1群')
    const commands = SKILLS.flatMap((s) => Object.keys(s.commands ?? {}).map((c) => [s.name, c] as const))
    // every skill that has commands today (a new one is covered as soon as it is registered)
    expect(commands.map(([s]) => s)).toEqual(expect.arrayContaining(['guard', 'tags', 'shop', 'points', 'live']))
    for (const [skill, command] of commands) {
      await h.say(room, boss, `#${command} add @小美 50`, { mentionIds: ['wxid_xm'] })
      expect(h.texts(room.id).at(-1), command).toBe(`#${command} 属于 ${skill}，本群（分组「plain」）没有开启：在配置里这个分组的 skills 下加上 ${skill}（skills.${skill}），再 #reload`)
    }
    expect(h.texts(room.id)).toHaveLength(commands.length)
    expect(pointsBook(h.store, 'plain').get('wxid_xm')).toBeUndefined()
    expect(h.engine.tags.names('wxid_xm')).toEqual([])

    // where the skill is on, the same command works
    const full = h.room('全功能1群')
    await h.say(full, boss, '#points add @小美 50', { mentionIds: ['wxid_xm'] })
    expect(h.texts(full.id).at(-1)).toBe('积分池 full：小美 +50，现有 50 分')
  })

  it('#help lists only what works in this group', async () => {
    const h = await harness(YAML)
    const plain = h.room('普通1群')
    await h.say(plain, boss, '#help')
    expect(h.texts(plain.id).at(-1)).toBe('管理命令：\n#reload\n#stats\n#help\n#forget @成员（或联系人 ID）  删除该成员的全部数据')
    const full = h.room('全功能1群')
    await h.say(full, boss, '#help')
    expect(h.texts(full.id).at(-1)).toBe('管理命令：\n#reload\n#stats\n#help\n#forget @成员（或联系人 ID）  删除该成员的全部数据\n#points add|sub @成员 <分数> [原因]')
  })

  it('a member’s command does nothing; #constructor or #toString is no command (an ordinary message for the skills)', async () => {
    const h = await harness(YAML)
    const room = h.room('普通1群')
    await h.say(room, { id: 'wxid_xm', name: '小美' }, '#points add @小美 50', { mentionIds: ['wxid_xm'] })
    expect(h.texts(room.id)).toEqual([])
    await h.say(room, boss, '#toString')
    await h.say(room, boss, '#constructor')
    expect(h.texts(room.id)).toEqual(['pong 老板', 'pong 老板'])
  })
})
