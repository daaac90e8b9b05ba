import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { LoadedConfig } from '../../../src/config/loadConfig.js'
import { silentLogger } from '../../../src/log/logger.js'
import { ConfigReloader } from '../../../src/runtime/ConfigReloader.js'
import { SKILLS } from '../../../skills/index.js'
import { tempDir } from '../../helpers/tmp.js'
import { waitFor } from '../../helpers/waitFor.js'

const good = (reply: string) => `groups:\n  - name: g\n    match: { topic: x }\n    skills:\n      ping: { reply: "${reply}" }\n`

describe('ConfigReloader', () => {
  it('applies a changed file, refuses a bad one and keeps the running config', async () => {
    const { dir, cleanup } = await tempDir()
    const file = join(dir, 'bot.yaml')
    await writeFile(file, good('one'))
    const applied: LoadedConfig[] = []
    const reloader = new ConfigReloader(file, SKILLS, async (c) => void applied.push(c), silentLogger, () => Date.now())
    reloader.watch()
    try {
      await writeFile(file, good('two {name}'))
      await waitFor(() => applied.length === 1, { what: 'the edited file applied' })
      const ping = applied[0]!.groups[0]!.skills.get('ping') as { reply: { source: string } }
      expect(ping.reply.source).toBe('two {name}')

      await writeFile(file, good('three {nope}'))
      const r = await reloader.reload('#reload')
      expect(r.ok).toBe(false)
      expect(r.problems[0]).toMatch(/bot\.yaml:5:\d+: unknown template variable \{nope\}/)
      expect(applied).toHaveLength(1) // the bad one was never applied
    } finally {
      reloader.close()
      await cleanup()
    }
  })
})
