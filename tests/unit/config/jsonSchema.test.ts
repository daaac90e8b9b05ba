import { readFile } from 'node:fs/promises'
import { describe, expect, it } from 'vitest'
import { SCHEMA_FILE, schemaText } from '../../../src/config/writeJsonSchema.js'
import { loadConfig } from '../../../src/config/loadConfig.js'
import { SKILLS } from '../../../skills/index.js'

describe('the published JSON Schema', () => {
  it('is up to date with the zod schemas (run `npm run schema` after changing one)', async () => {
    expect(await readFile(SCHEMA_FILE, 'utf8')).toBe(schemaText())
  })

  it('knows every skill, and the example config points editors at it', async () => {
    const schema = JSON.parse(schemaText()) as { definitions?: unknown; properties: Record<string, any> }
    const groupSkills = schema.properties.groups.items.properties.skills.properties
    expect(Object.keys(groupSkills).sort()).toEqual(SKILLS.map((s) => s.name).sort())
    const example = await readFile('config/bot.example.yaml', 'utf8')
    expect(example.split('\n')[0]).toBe('# yaml-language-server: $schema=./siyu.schema.json')
  })

  it('the example config is valid and uses every skill', async () => {
    const cfg = await loadConfig('config/bot.example.yaml', SKILLS)
    const used = new Set(cfg.groups.flatMap((g) => [...g.skills.keys()]))
    expect([...used].sort()).toEqual(SKILLS.map((s) => s.name).sort())
  })
})
