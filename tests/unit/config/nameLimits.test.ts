import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { configErrors } from '../../helpers/configErrors.js'

/** Names that key data (group names, point pools) are refused at `npm run check` when too long. */
describe('config: names that key stored data', () => {
  const long = '私域粉丝'.repeat(21) // 84 characters: the pool name

  it('refuses an over-long pool name at its line and column', () => {
    const yaml = `groups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills:\n      checkin: { pool: ${long} }\n`
    expect(configErrors(yaml, SKILLS)).toEqual([expect.stringMatching(/^bot\.yaml:5:24: .*pool is at most 64 characters/)])
  })

  it('refuses an over-long group name at its line and column', () => {
    const yaml = `groups:\n  - name: ${long}\n    match: { topic: "粉丝*" }\n`
    expect(configErrors(yaml, SKILLS)).toEqual([expect.stringMatching(/^bot\.yaml:2:11: .*group name is at most 64 characters/)])
  })

  it('takes 64 characters', () => {
    const name = '私域粉丝'.repeat(16)
    expect(configErrors(`groups:\n  - name: ${name}\n    match: { topic: "粉丝*" }\n    skills:\n      checkin: { pool: ${name} }\n`, SKILLS)).toEqual([])
  })
})
