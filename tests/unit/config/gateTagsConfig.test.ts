import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { configErrors } from '../../helpers/configErrors.js'

const BAD = `bot:
  admins: [wxid_a]
  tags:
    - tag: 活跃粉
      when: { streek: 7 }
  friends:
    accept: sometimes
    greeting: "hi {nam}"
groups:
  - name: vip
    match: { topic: "VIP*" }
    skills:
      gate:
        capacity: 600
        order: fast
        require: { points: { min: -1 } }
        deniedReply: "{name} {foo}"
`

describe('config: bot.tags, bot.friends and gate', () => {
  it('every problem at its file:line:col', () => {
    expect(configErrors(BAD, SKILLS)).toEqual([
      'bot.yaml:5:13: when needs streak or points (or both: both must hold)',
      'bot.yaml:5:15: unknown key "streek" (did you mean "streak"?)',
      'bot.yaml:7:13: accept is all, keywords or none',
      'bot.yaml:8:19: unknown template variable {nam}; this template knows {name}',
      "bot.yaml:14:19: capacity is at most 500 (WeChat's limit)",
      'bot.yaml:15:16: order is fill or balance',
      'bot.yaml:16:35: Too small: expected number to be >=0',
      'bot.yaml:17:30: unknown template variable {foo}; this template knows {name}, {points}, {need}, {tags}, {missing}',
    ])
  })

  it('defaults: no rule tags, friend requests left for people, gate on 进群 / 450 / fill', () => {
    const cfg = parseConfig('bot.yaml', 'groups:\n  - name: g\n    match: { topic: "*" }\n    skills: { gate: {} }\n', SKILLS)
    expect(cfg.bot.tags).toEqual([])
    expect(cfg.bot.friends).toEqual({ accept: 'none', keywords: [], perDay: 100 })
    expect(cfg.groups[0]!.skills.get('gate')).toMatchObject({ keywords: ['进群'], capacity: 450, order: 'fill', invitesPerHour: 30 })
  })
})
