import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { z } from 'zod'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { stringList } from '../../../src/config/common.js'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { defineSkill, type MessageContext, type Skill } from '../../../src/engine/Skill.js'
import { SKILLS } from '../../../skills/index.js'
import { harness } from '../../helpers/harness.js'
import { auditReplies, skillsHeard } from '../../helpers/replyAudit.js'
import { couponCodes, exampleRushConfig } from '../../helpers/rushMix.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * Issue 27: a skill written later cannot bring the rush back. The type makes a say without a
 * kind, or an owed text that stands alone without a named reason, a compile error (the
 * `@ts-expect-error` lines below prove it: tsc fails if they compile); this drives every
 * skill the example config enables (it enables every skill: tests/unit/config/jsonSchema.test.ts)
 * and holds every reply to CONTRACT §1 (tests/helpers/replyAudit.ts). The canary skills show
 * the audit catches each mistake a new skill could make.
 */
const ADMIN = 'wxid_admin'

describe('every reply of every skill declares what it is (issue 27, CONTRACT §1)', () => {
  afterEach(() => void vi.restoreAllMocks())

  it('the example config, every skill: each trigger, command, join, card and friend request answered by the rule', async () => {
    const { dir, cleanup } = await tempDir('siyu-kinds-')
    try {
      const codesFile = join(dir, 'coupon.txt')
      await writeFile(codesFile, couponCodes(100))
      const yaml = exampleRushConfig({ codesFile, admin: ADMIN })
      const clock = new FakeClock(Date.UTC(2026, 10, 26, 4, 0, 0))
      const h = await harness(yaml, { clock })
      const { replies, violations } = await auditReplies(h, parseConfig('bot.example.yaml', yaml, SKILLS, clock.now()), ADMIN)
      expect(violations).toEqual([])
      // every skill was reached (a skill whose triggers the audit cannot find would pass unseen:
      // name them `triggers` / `…Triggers`, or give the skill a command)
      expect([...skillsHeard(replies)].filter((s) => s !== 'core').sort()).toEqual(SKILLS.map((s) => s.name).sort())
      // and the rule has both sides in it: confirmations owed, lists informational
      const kindsOf = (skill: string) => new Set(replies.filter((r) => r.skill === skill).map((r) => r.options.kind))
      expect(kindsOf('shop')).toEqual(new Set(['owed', 'info']))
      expect(kindsOf('checkin')).toEqual(new Set(['owed', 'info']))
      expect(replies.filter((r) => r.text.startsWith('积分商城')).every((r) => r.options.kind === 'info')).toBe(true)
    } finally {
      await cleanup()
    }
  })

  it('catches what a new skill could get wrong: an owed list, an unmergeable owed text with no reason, a reply with no key, a per-room reply naming its asker', async () => {
    type Ctx = MessageContext<{ listTriggers: string[] }>
    const canary = (name: string, trigger: string, say: (ctx: Ctx) => void): Skill<{ listTriggers: string[] }> =>
      defineSkill({
        name,
        description: 'a skill that gets its replies wrong',
        config: z.strictObject({ listTriggers: stringList().prefault([trigger]) }),
        onMessage(ctx) {
          if (!ctx.config.listTriggers.includes(ctx.message.text)) return false
          say(ctx)
          return true
        },
      })
    const skills = [
      canary('owedlist', '清单', (ctx) => void ctx.say('今天的清单：1. 面霜 2. 精华', { kind: 'owed' })),
      canary('alone', '公告', (ctx) => {
        // @ts-expect-error an owed text that stands alone needs a named reason (`because`)
        void ctx.say('公告：今晚八点开播', { kind: 'owed', mergeable: false })
      }),
      canary('nokey', '问问', (ctx) => void ctx.say('答：明天发货', { kind: 'info' })),
      canary('perroom', '我的卡', (ctx) => void ctx.say(`${ctx.talker.name} 的会员卡：金卡`, { kind: 'info', coalesce: { key: 'card', asker: ctx.talker } })),
      canary('nokind', '随便', (ctx) => {
        // @ts-expect-error every say names its kind
        void ctx.say('随便说说', {})
      }),
    ]
    const yaml = `bot: { timezone: Asia/Shanghai, admins: [${ADMIN}] }
groups:
  - name: canaries
    match: { topic: "金丝雀*" }
    skills: { owedlist: {}, alone: {}, nokey: {}, perroom: {}, nokind: {} }
`
    const h = await harness(yaml, { skills })
    const { violations } = await auditReplies(h, parseConfig('canary.yaml', yaml, skills, h.clock.now()), ADMIN)
    const rulesOf = (skill: string) => violations.filter((v) => v.skill === skill).map((v) => v.rule)
    expect(rulesOf('owedlist')).toContainEqual(expect.stringMatching(/owed, but the event stored nothing/))
    expect(rulesOf('alone')).toContainEqual(expect.stringMatching(/unmergeable owed text with no named reason/))
    expect(rulesOf('nokey')).toContainEqual(expect.stringMatching(/informational reply to a trigger with no coalesce key/))
    expect(rulesOf('perroom')).toContainEqual(expect.stringMatching(/keyed per room, yet its first line names the asker/))
    expect(rulesOf('nokind')).toContainEqual(expect.stringMatching(/no kind/))
  })
})
