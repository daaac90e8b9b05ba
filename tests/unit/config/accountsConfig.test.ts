import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { configErrors } from '../../helpers/configErrors.js'

const BAD = `accounts:
  - id: helper1
    tokenEnv: SIYU_TOKEN_HELPER1
  - id: helper1
    tokenEnv: puppet_abc-123
  - id: 小助手
    tokenEnv: T3
bot:
  admins: [wxid_a]
  takeoverSeconds: 90
groups:
  - name: fans
    match: { topic: "粉丝*" }
    accounts: [helper1, helpr2]
`

describe('config: accounts', () => {
  it('every problem at its file:line:col', () => {
    expect(configErrors(BAD, SKILLS)).toEqual([
      'bot.yaml:4:9: account id "helper1" is already used by account 1; ids must be unique',
      'bot.yaml:5:15: tokenEnv is the NAME of an environment variable (like SIYU_TOKEN_HELPER1), not the value itself',
      'bot.yaml:6:9: an account id is 1–32 letters, digits, _ or - (like helper1)',
      'bot.yaml:10:20: takeoverSeconds is at most 55 (the takeover must happen within 60 s)',
      'bot.yaml:14:25: unknown account "helpr2" (did you mean "helper1"?); accounts: declares helper1, 小助手',
    ])
  })

  it('a group listing accounts needs the top-level list', () => {
    expect(configErrors(`groups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    accounts: [helper1]\n`, SKILLS)).toEqual([
      'bot.yaml:4:16: a group lists accounts but there is no top-level accounts: list (declare helper1 there)',
    ])
  })

  it('without accounts: one account, as before; with them: ids, env names and where each token variable is written', () => {
    expect(parseConfig('bot.yaml', 'groups: []\n', SKILLS).accounts).toEqual([])
    const c = parseConfig('bot.yaml', `accounts:\n  - id: helper1\n    tokenEnv: T1\n    endpointEnv: E1\n  - { id: helper2, tokenEnv: T2 }\ngroups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    accounts: helper2\n`, SKILLS)
    expect(c.accounts).toEqual([
      { id: 'helper1', tokenEnv: 'T1', endpointEnv: 'E1', where: { file: 'bot.yaml', line: 3, col: 15 } },
      { id: 'helper2', tokenEnv: 'T2', where: { file: 'bot.yaml', line: 5, col: 30 } },
    ])
    expect(c.groups[0]!.accounts).toEqual(['helper2'])
  })
})

describe('config/bot.accounts.example.yaml', () => {
  it('loads, with two accounts and each group’s preference', async () => {
    const { readFile } = await import('node:fs/promises')
    const c = parseConfig('bot.accounts.example.yaml', await readFile('config/bot.accounts.example.yaml', 'utf8'), SKILLS)
    expect(c.accounts.map((a) => [a.id, a.tokenEnv])).toEqual([
      ['helper1', 'SIYU_TOKEN_HELPER1'],
      ['helper2', 'SIYU_TOKEN_HELPER2'],
    ])
    expect(c.groups.map((g) => g.accounts)).toEqual([
      ['helper1', 'helper2'],
      ['helper2', 'helper1'],
    ])
    expect(c.warnings.filter((w) => w.severity === 'error')).toEqual([])
  })
})
