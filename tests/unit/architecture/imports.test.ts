import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { cycles, graphOf, readGraph, violations } from './importGraph.js'

const ROOT = fileURLToPath(new URL('../../..', import.meta.url))

/**
 * The map of imports stays a map (README "Writing a skill", docs/console.md): src/ imports no
 * skill but through skills/index.ts from the app, the schema writer and the check; no file
 * imports itself round a circle; a skill does not reach into another skill's files; inside
 * src/ imports go down the layers of importGraph.ts (types too).
 */
describe('the import map', () => {
  const graph = readGraph(ROOT, ['src', 'skills', 'examples'])

  it('siyu keeps every rule', () => {
    expect(violations(graph)).toEqual([])
  })

  it('reads what is there: values, types, export-from and dynamic imports', () => {
    const has = (from: string, to: string) => graph.imports.some((i) => i.from === from && i.to === to)
    expect(graph.files.length).toBeGreaterThan(150)
    expect(has('src/runtime/App.ts', 'skills/index.ts')).toBe(true)
    expect(has('src/cli/commands.ts', 'src/cli/start.ts')).toBe(true) // await import('./start.js')
    expect(has('skills/shop/index.ts', 'skills/shop/console/index.ts')).toBe(true)
    expect(has('src/engine/Skill.ts', 'src/members/refs.ts')).toBe(true) // export type { … } from
  })

  describe('fails on', () => {
    const rules = (files: Record<string, string>) => violations(graphOf(new Map(Object.entries(files))))

    it('src/ importing a skill, or reading the list of skills from anywhere but the app, the schema writer and the check', () => {
      expect(
        rules({
          'src/console/Orders.ts': "import { orderBook } from '../../skills/shop/Orders.js'",
          'src/console/menu.ts': "import { SKILLS } from '../../skills/index.js'",
          'src/runtime/App.ts': "import { SKILLS } from '../../skills/index.js'",
          'skills/index.ts': "import { ShopSkill } from './shop/index.js'",
          'skills/shop/index.ts': "export const ShopSkill = {}",
          'skills/shop/Orders.ts': 'export const orderBook = 1',
        }),
      ).toEqual([
        expect.stringMatching(/^src\/console\/Orders\.ts:1 imports '\.\.\/\.\.\/skills\/shop\/Orders\.js': src\/ imports no skill/),
        expect.stringMatching(/^src\/console\/menu\.ts:1 imports '\.\.\/\.\.\/skills\/index\.js': only src\/runtime\/App\.ts/),
      ])
    })

    it('an import cycle, named file by file', () => {
      const files = {
        'src/engine/Engine.ts': "import { AdminCommands } from './AdminCommands.js'",
        'src/engine/AdminCommands.ts': "import type { Stats } from './Stats.js'",
        'src/engine/Stats.ts': "import type { Engine } from './Engine.js'",
        'src/engine/jobs.ts': "import type { Engine } from './Engine.js'",
      }
      expect(cycles(graphOf(new Map(Object.entries(files))))).toEqual([['src/engine/AdminCommands.ts', 'src/engine/Stats.ts', 'src/engine/Engine.ts', 'src/engine/AdminCommands.ts']])
      expect(rules(files)).toEqual(['import cycle: src/engine/AdminCommands.ts → src/engine/Stats.ts → src/engine/Engine.ts → src/engine/AdminCommands.ts'])
    })

    it("a skill reaching into another skill's files (its index.ts is its public face)", () => {
      expect(
        rules({
          'skills/shop/redeem.ts': "import { PointsBook } from '../checkin/points.js'\nimport { CheckinSkill } from '../checkin/index.js'",
          'examples/hello-skill/index.ts': "import { catalogText } from '../../skills/shop/texts.js'",
          'skills/checkin/points.ts': 'export const PointsBook = 1',
          'skills/checkin/index.ts': 'export const CheckinSkill = 1',
          'skills/shop/texts.ts': 'export const catalogText = 1',
        }),
      ).toEqual([
        expect.stringMatching(/^skills\/shop\/redeem\.ts:1 imports '\.\.\/checkin\/points\.js': skills\/shop reaches into skills\/checkin's internals/),
        expect.stringMatching(/^examples\/hello-skill\/index\.ts:1 imports .*: examples\/hello-skill reaches into skills\/shop's internals/),
      ])
    })

    it('an import that climbs back up the layers of src/ — a type as much as a value — or goes sideways on one level', () => {
      expect(
        rules({
          'src/config/loadConfig.ts': "import type { Skill } from '../engine/Skill.js'",
          'src/members/MemberBook.ts': "const { send } = await import('../send/SendQueue.js')\ntype Q = typeof import('../send/SendQueue.js')",
          'src/engine/Skill.ts': 'export interface Skill {}',
          'src/send/SendQueue.ts': 'export const send = 1',
          'src/robots/arm.ts': "import { send } from '../send/SendQueue.js'",
        }),
      ).toEqual([
        "src/config/loadConfig.ts:1 imports '../engine/Skill.js': src/config imports src/engine, a level above it (an import that climbs back up)",
        "src/members/MemberBook.ts:1 imports '../send/SendQueue.js': src/members and src/send are on one level and import neither each other",
        "src/members/MemberBook.ts:2 imports '../send/SendQueue.js': src/members and src/send are on one level and import neither each other",
        "src/robots/arm.ts:1 imports '../send/SendQueue.js': src/robots is in no layer of tests/unit/architecture/importGraph.ts: place it",
      ])
    })

    it('an import of a file that is not there', () => {
      expect(rules({ 'src/engine/Engine.ts': "import { X } from './Gone.js'" })).toEqual(["src/engine/Engine.ts:1 imports './Gone.js', which names no file"])
    })
  })
})
