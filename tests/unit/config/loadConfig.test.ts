import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { loadConfig, parseConfig, MAX_CONFIG_BYTES } from '../../../src/config/loadConfig.js'
import { defineSkill } from '../../../src/engine/Skill.js'
import { stringList, regexSource } from '../../../src/config/common.js'
import { template } from '../../../src/text/template.js'
import { tempDir } from '../../helpers/tmp.js'
import { configErrors } from '../../helpers/configErrors.js'

// a skill made for these tests, so they do not depend on the real skills' details
const Greet = defineSkill({
  name: 'greet',
  description: 'test skill',
  config: z.strictObject({
    triggers: stringList().prefault(['hi']),
    text: template(['name', 'topic']).prefault('hello {name}'),
    pattern: regexSource().optional(),
    points: z.number().int().positive().default(10),
    nested: z.strictObject({ a: z.number().default(1), b: z.number().default(2) }).prefault({}),
  }),
})
const skills = [Greet]

const problems = (yaml: string): string[] => configErrors(yaml, skills)

describe('config problems carry file:line:col', () => {
  it('reports a YAML syntax error at its place', () => {
    const ps = problems('bot:\n  timezone: "Asia/Shanghai\ngroups: []\n')
    expect(ps).toEqual(['bot.yaml:2:13: YAML: this quoted text is never closed (missing closing quote)'])
  })

  it('reports a duplicate key', () => {
    expect(problems('bot:\n  admins: [a]\n  admins: [b]\n')[0]).toMatch(/^bot\.yaml:3:3: .*unique/)
  })

  it('reports an unknown template variable at the placeholder', () => {
    const yaml = `groups:
  - name: g
    match: { topic: "x" }
    skills:
      greet:
        text: "welcome {names} to {topic}"
`
    expect(problems(yaml)).toEqual([
      'bot.yaml:6:24: unknown template variable {names}; this template knows {name}, {topic}',
    ])
  })

  it('reports a bad regex in a skill and in a topic', () => {
    const yaml = `groups:
  - name: g
    match:
      topic: ["ok*", "/[a-/"]
    skills:
      greet: { pattern: "(unclosed" }
`
    const ps = problems(yaml)
    expect(ps).toHaveLength(2)
    expect(ps[0]).toMatch(/^bot\.yaml:4:22: invalid topic regex/)
    expect(ps[1]).toMatch(/^bot\.yaml:6:25: invalid regular expression/)
  })

  it('reports wrong types and unknown keys with a suggestion', () => {
    const yaml = `bot:
  timezone: Mars/Olympus
  rateLimit: { roomPerMinute: "lots" }
groups:
  - name: g
    match: { topic: "x" }
    skills:
      greet: { pionts: 5 }
      gret: {}
`
    const ps = problems(yaml)
    expect(ps).toContain('bot.yaml:2:13: unknown time zone; use an IANA name like Asia/Shanghai')
    expect(ps.some((p) => /^bot\.yaml:3:31: .*roomPerMinute must be a number/.test(p))).toBe(true)
    expect(ps).toContain('bot.yaml:8:16: unknown key "pionts" (did you mean "points"?)')
    expect(ps).toContain('bot.yaml:9:7: unknown skill "gret" (did you mean "greet"?)')
  })

  it('reports a missing group name at the group', () => {
    expect(problems('groups:\n  - match: { topic: x }\n')).toEqual([expect.stringMatching(/^bot\.yaml:2:5: .*name/)])
  })

  it('reports a group without any match', () => {
    expect(problems('groups:\n  - name: g\n    match: {}\n')[0]).toMatch(/^bot\.yaml:3:12: match needs a topic/)
  })

  it('reports duplicate group names', () => {
    const ps = problems('groups:\n  - name: g\n    match: {topic: a}\n  - name: g\n    match: {topic: b}\n')
    expect(ps[0]).toMatch(/^bot\.yaml:4:11: group name "g" is already used/)
  })

  it('points errors in a merged default at the defaults section', () => {
    const yaml = `defaults:
  skills:
    greet: { points: -1 }
groups:
  - name: g
    match: { topic: x }
    skills:
      greet: { triggers: [yo] }
`
    expect(problems(yaml)[0]).toMatch(/^bot\.yaml:3:22: /)
  })

  it('refuses a file that is not a map, and a huge file before parsing it', async () => {
    expect(problems('- just\n- a list\n')[0]).toMatch(/^bot\.yaml:1:1: the config must be a map/)
    const { dir, cleanup } = await tempDir()
    const file = join(dir, 'huge.yaml')
    await writeFile(file, 'x'.repeat(MAX_CONFIG_BYTES + 1))
    await expect(loadConfig(file, skills)).rejects.toThrow(/limit is/)
    await cleanup()
  })

  it('a missing file is one clear problem', async () => {
    await expect(loadConfig('/nonexistent/bot.yaml', skills)).rejects.toThrow(/^\/nonexistent\/bot\.yaml:1:1: cannot read the config/)
  })
})

describe('merging defaults into groups', () => {
  const base = `defaults:
  skills:
    greet:
      points: 5
      nested: { a: 7 }
groups:
  - name: plain
    match: { topic: "plain*" }
  - name: custom
    match: { topic: "custom*" }
    skills:
      greet: { triggers: [yo], nested: { b: 9 } }
  - name: off
    match: { topic: "off*" }
    skills:
      greet: false
`
  const cfg = parseConfig('bot.yaml', base, skills)
  const greet = (name: string) => cfg.groups.find((g) => g.name === name)!.skills.get('greet') as {
    triggers: string[]
    points: number
    nested: { a: number; b: number }
  }

  it('gives every group the defaults', () => {
    expect(greet('plain')).toMatchObject({ triggers: ['hi'], points: 5, nested: { a: 7, b: 2 } })
  })

  it('deep-merges a group over the defaults', () => {
    expect(greet('custom')).toMatchObject({ triggers: ['yo'], points: 5, nested: { a: 7, b: 9 } })
  })

  it('turns a skill off with false', () => {
    expect(cfg.groups.find((g) => g.name === 'off')!.skills.has('greet')).toBe(false)
  })
})

describe('group matching', () => {
  const cfg = parseConfig(
    'bot.yaml',
    `groups:
  - name: by-id
    match: { ids: ["123@chatroom"] }
  - name: glob
    match: { topic: "希思黎粉丝*" }
  - name: regex
    match: { topic: "/^VIP\\\\d+群$/" }
  - name: catch-all
    match: { topic: "*粉丝*" }
`,
    skills,
  )
  const groupOf = (id: string, topic: string) => cfg.groups.find((g) => g.matcher.matches({ id, topic }))?.name

  it('matches by id, glob and regex; first match wins', () => {
    expect(groupOf('123@chatroom', 'anything')).toBe('by-id')
    expect(groupOf('9@chatroom', '希思黎粉丝3群')).toBe('glob')
    expect(groupOf('9@chatroom', 'VIP12群')).toBe('regex')
    expect(groupOf('9@chatroom', 'VIP群')).toBeUndefined()
    expect(groupOf('9@chatroom', '兰蔻粉丝群')).toBe('catch-all')
    expect(groupOf('9@chatroom', '家人群')).toBeUndefined()
  })
})
