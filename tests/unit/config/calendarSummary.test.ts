import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { runCheck } from '../../../src/cli/runCheck.js'
import { tempDir } from '../../helpers/tmp.js'

/** `npm run check` lists each group's posts and lives of the next 7 days (CONTRACT §10). */
describe('npm run check: the next 7 days', () => {
  it('merges each group’s posts and lives in time order, skipped dates marked', async () => {
    const { dir, cleanup } = await tempDir('siyu-calendar-')
    try {
      const path = join(dir, 'bot.yaml')
      await writeFile(
        path,
        `bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      live:
        lives:
          - { id: d12, title: 双12直播, start: "2026-11-28 20:00" }
          - { id: later, title: 下个月, start: "2026-12-20 20:00" }
      posts:
        - id: morning
          when: "工作日 09:00"
          send: 早上好
          skip: ["2026-11-30"]
        - id: teaser
          when: "2026-11-28 19:30"
          send: ["今晚 8 点直播", { media: card }]
  - name: quiet
    match: { topic: "别的*" }
    skills: { posts: [] }
media:
  card: { link: { url: "https://example.invalid", title: 直播 } }
`,
      )
      let out = ''
      // Thursday 2026-11-26 10:00 in Shanghai
      const now = DateTime.fromISO('2026-11-26T10:00:00', { zone: 'Asia/Shanghai' }).toMillis()
      const code = await runCheck(['--config', path], { write: (s: string) => (out += s) }, { write: (s: string) => (out += s) }, now)
      expect(code).toBe(0)
      const block = out.slice(out.indexOf('    next 7 days:'), out.indexOf('  group quiet'))
      expect(block.trim().split('\n').map((l) => l.trim())).toEqual([
        'next 7 days:',
        '2026-11-27 周五 09:00 post morning: 早上好',
        '2026-11-28 周六 19:30 post teaser: 今晚 8 点直播 +card',
        '2026-11-28 周六 20:00 live d12: 双12直播',
        '2026-11-30 周一 09:00 post morning: 早上好 (skipped)',
        '2026-12-01 周二 09:00 post morning: 早上好',
        '2026-12-02 周三 09:00 post morning: 早上好',
        // seven days from now (10:00): the 3rd's 09:00 is inside
        '2026-12-03 周四 09:00 post morning: 早上好',
      ])
      expect(out).toContain('  group quiet: posts\n    posts: no posts in the config (the console may add some)\n    next 7 days: nothing scheduled')
    } finally {
      await cleanup()
    }
  })
})
