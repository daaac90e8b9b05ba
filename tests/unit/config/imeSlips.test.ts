import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { runCheck } from '../../../src/cli/runCheck.js'
import { parseConfig, type LoadedConfig } from '../../../src/config/loadConfig.js'
import { silentLogger } from '../../../src/log/logger.js'
import { ConfigReloader } from '../../../src/runtime/ConfigReloader.js'
import { ConfigError, formatProblem } from '../../../src/config/problems.js'
import { SKILLS } from '../../../skills/index.js'
import { tempDir } from '../../helpers/tmp.js'

/** Every problem (errors and warnings) a config gets, as `bot.yaml:line:col: …` lines. */
function problems(yaml: string): string[] {
  try {
    return parseConfig('bot.yaml', yaml, SKILLS).warnings.map(formatProblem)
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem)
    throw err
  }
}

/** A one-group config; `skills` is indented under `skills:` (line 7 is the first skill line). */
const config = (skills: string): string => `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
${skills}`

const triggers = (yaml: string): string[] => {
  const checkin = parseConfig('bot.yaml', yaml, SKILLS).groups[0]!.skills.get('checkin') as { triggers: string[] }
  return checkin.triggers
}

describe('IME slips are found and named at file:line:col', () => {
  it('a full-width comma in a list: a warning naming the items it was meant to be', () => {
    const yaml = config('      checkin:\n        triggers: [签到，打卡]\n')
    expect(problems(yaml)).toEqual([
      'bot.yaml:8:22: warning: 全角逗号「，」→ 半角「,」：「签到，打卡」会被当成一项，可能想写 2 项 [签到, 打卡]；若本来就是一句话，请加引号 / ' +
        'full-width comma: "签到，打卡" is read as ONE item; probably meant 2: [签到, 打卡] (if it is one text, put it in "quotes")',
    ])
    // still loads (it is a warning), with the one trigger the operator did not mean
    expect(triggers(yaml)).toEqual(['签到，打卡'])
  })

  it('an enumeration comma 、 and several commas in one item', () => {
    const ps = problems(config('      checkin:\n        triggers: [签到、打卡, 早安，晚安，你好]\n'))
    expect(ps).toHaveLength(2)
    expect(ps[0]).toMatch(/^bot\.yaml:8:22: warning: 顿号「、」→ 半角「,」：「签到、打卡」会被当成一项，可能想写 2 项 \[签到, 打卡\]/)
    expect(ps[1]).toMatch(/^bot\.yaml:8:29: warning: 全角逗号「，」→ 半角「,」：「早安，晚安，你好」会被当成一项，可能想写 3 项 \[早安, 晚安, 你好\]/)
  })

  it('a full-width colon after a key: one error at the colon, instead of "Implicit keys need to be on a single line"', () => {
    const ps = problems(config('      checkin:\n        points： 10\n        pool: sisley\n'))
    expect(ps).toEqual(['bot.yaml:8:15: 全角冒号「：」→ 半角「: 」（冒号后加空格）：points: 10 / full-width colon: write "points: 10"'])
  })

  it('a full-width colon without a space, at the top level, on a list item, in a flow map', () => {
    expect(problems('bot：\n  admins: [wxid_boss]\n')).toEqual(['bot.yaml:1:4: 全角冒号「：」→ 半角「: 」（冒号后加空格）：bot: / full-width colon: write "bot:"'])
    expect(problems(config('      checkin:\n        points：10\n'))).toEqual([
      'bot.yaml:8:15: 全角冒号「：」→ 半角「: 」（冒号后加空格）：points: 10 / full-width colon: write "points: 10"',
    ])
    expect(problems(config('      autoreply:\n        rules:\n          - keywords： [发货]\n            reply: 48 小时内发货\n'))).toEqual([
      'bot.yaml:9:21: 全角冒号「：」→ 半角「: 」（冒号后加空格）：keywords: [发货] / full-width colon: write "keywords: [发货]"',
    ])
    // with a comment after it, YAML reads the line as a text item and the next as an item without "-"
    expect(problems(config('      autoreply:\n        rules:\n          - keywords： [发货]   # 售后\n            reply: 48 小时内发货\n'))).toEqual([
      'bot.yaml:9:21: 全角冒号「：」→ 半角「: 」（冒号后加空格）：keywords: [发货] / full-width colon: write "keywords: [发货]"',
    ])
    expect(problems(config('      checkin: { points： 10 }\n'))).toEqual([
      'bot.yaml:7:24: 全角冒号「：」→ 半角「: 」（冒号后加空格）：points: 10 / full-width colon: write "points: 10"',
    ])
  })

  it('full-width spaces (U+3000) as indentation: at the first one, instead of an unknown key at the wrong level', () => {
    const ps = problems(config('      checkin:\n\u3000\u3000\u3000\u3000points: 10\n'))
    expect(ps).toEqual(['bot.yaml:8:1: 全角空格「　」→ 半角空格：缩进只能用半角空格 / full-width space (U+3000) used as indentation: indent with ASCII spaces'])
    // mixed with ASCII spaces: the first U+3000 is pointed at
    expect(problems(config('      checkin:\n    \u3000\u3000points: 10\n'))[0]).toMatch(/^bot\.yaml:8:5: 全角空格/)
  })

  it('a full-width space after a colon or a dash', () => {
    expect(problems(config('      checkin:\n        points:\u300010\n'))).toEqual([
      'bot.yaml:8:16: 全角空格「　」→ 半角空格：冒号「:」后面要用半角空格 / full-width space (U+3000) after "points:": YAML needs an ASCII space',
    ])
    expect(problems(config('      checkin:\n        triggers:\n          -\u3000签到\n          - 打卡\n'))).toEqual([
      'bot.yaml:9:12: 全角空格「　」→ 半角空格：短横线「-」后面要用半角空格 / full-width space (U+3000) after "-": YAML needs an ASCII space',
    ])
  })

  it('curly quotes around a value: a warning (they would be in every reply)', () => {
    expect(problems(config('      checkin:\n        reply: “{name} 签到成功”\n'))).toEqual([
      'bot.yaml:8:16: warning: 中文引号「“」「”」→ 半角「"」：现在引号会原样出现在文字里 / curly quotes are kept as part of the text; write "…" with ASCII quotes',
    ])
    expect(problems(config('      checkin:\n        triggers: [‘签到’, 打卡]\n'))[0]).toMatch(/^bot\.yaml:8:20: warning: 中文引号「‘」「’」/)
  })

  it('a curly closing quote leaves the text unclosed: named at the curly quote', () => {
    expect(problems(config('      checkin:\n        reply: "{name} 签到成功”\n        points: 10\n'))).toEqual([
      'bot.yaml:8:28: 中文引号「”」→ 半角「"」：引号没有闭合 / the closing quote is a curly one: the text is never closed; use "',
    ])
  })

  it('a full-width closing bracket leaves the list unclosed: named at the bracket, YAML’s error on the next line is explained by it', () => {
    expect(problems(config('      checkin:\n        triggers: [签到, 打卡】\n        points: 10\n'))).toEqual([
      'bot.yaml:8:26: 全角括号「】」→ 半角「]」 / full-width bracket: write "]"',
    ])
  })

  it('a list or map in full-width brackets, and a placeholder in full-width braces', () => {
    expect(problems(config('      checkin:\n        triggers: ［签到, 打卡］\n'))).toEqual([
      'bot.yaml:8:19: warning: 全角方括号「［」「］」→ 半角「[」「]」：列表写作 [签到, 打卡] / full-width brackets: a list is written [a, b]',
    ])
    expect(problems(config('      checkin:\n        triggers: 【签到，打卡】\n'))[0]).toMatch(/^bot\.yaml:8:19: warning: 全角方括号「【」「】」/)
    expect(problems(config('      checkin:\n        reply: "｛name｝ 签到成功 +{points}"\n'))).toEqual([
      'bot.yaml:8:17: warning: 全角大括号「｛name｝」→ 半角「{name}」：占位符不会被替换 / full-width braces: the placeholder {name} is not filled in',
    ])
  })

  it('several slips in one file are each reported, in file order', () => {
    const ps = problems(config('      checkin:\n        triggers: [签到，打卡]\n        points： 10\n        reply: “{name} 签到成功”\n'))
    expect(ps.map((p) => p.split(': ')[0])).toEqual(['bot.yaml:8:22', 'bot.yaml:9:15', 'bot.yaml:10:16'])
  })
})

describe('no false alarms', () => {
  it('quoted text and block scalars may contain every one of these characters', () => {
    const yaml = config(`      checkin:
        triggers: ["签到，打卡", '早安：晚安', "【签到】"]
        reply: "{name}，签到成功：+{points}【“好评”】（限时）　谢谢"
        alreadyReply: '{name}：今天已签到，共 {total} 分'
      live:
        lives:
          - id: d11
            title: "双11：返场"
            start: "2027-11-11 20:00"
            preview: |
              　　1. 黑玫瑰精华：限时 8 折，【买一送一】
              points： 10
              [签到，打卡] “引号”
            link: https://example.invalid/live
`)
    expect(problems(yaml)).toEqual([])
  })

  it('plain values that are meant to contain them: a colon or comma in a reply, brackets in a title', () => {
    const yaml = config(`      checkin:
        reply: 群规：友善交流，不发广告 {name}
        meReply: VIP：{name} 共 {total} 分   # 注释：全角冒号，全角逗号
        rankTitle: 【积分榜】TOP{top}
      autoreply:
        rules:
          - keywords: [发货（顺丰）, 快递]
            reply: “好评”返现活动进行中
          - exact: 群规
            reply: 第一行
              VIP：第二行
          - regex: 会员
            replies:
              - VIP：专属福利
              - Tips：积分可兑换小样
`)
    expect(problems(yaml)).toEqual([])
  })

  it('the example config has no slips', async () => {
    const { readFile } = await import('node:fs/promises')
    expect(problems(await readFile('config/bot.example.yaml', 'utf8'))).toEqual([])
  })
})

describe('npm run check names them too', () => {
  it('warnings go to stdout with the summary; errors to stderr, and the config is refused', async () => {
    const { dir, cleanup } = await tempDir('siyu-ime-')
    try {
      const run = async (yaml: string) => {
        const file = join(dir, 'bot.yaml')
        await writeFile(file, yaml)
        let out = ''
        let err = ''
        const code = await runCheck(['--config', file], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) })
        return { code, out, err, file }
      }
      const warned = await run(config('      checkin:\n        triggers: [签到，打卡]\n'))
      expect(warned.code).toBe(0)
      expect(warned.out).toContain(`${warned.file}:8:22: warning: 全角逗号「，」`)
      const refused = await run(config('      checkin:\n        points： 10\n'))
      expect(refused.code).toBe(1)
      expect(refused.err).toBe(`${refused.file}:8:15: 全角冒号「：」→ 半角「: 」（冒号后加空格）：points: 10 / full-width colon: write "points: 10"\n1 problem(s); the config was not accepted.\n`)
    } finally {
      await cleanup()
    }
  })
})

describe('#reload names them', () => {
  it('a slip that breaks the config: refused, and the admin who typed #reload is told the fix; a warning: applied', async () => {
    const { dir, cleanup } = await tempDir('siyu-ime-reload-')
    try {
      const file = join(dir, 'bot.yaml')
      await writeFile(file, config('      checkin:\n        points: 10\n'))
      const applied: LoadedConfig[] = []
      const reloader = new ConfigReloader(file, SKILLS, async (c) => void applied.push(c), silentLogger, () => Date.now())
      await writeFile(file, config('      checkin:\n        points： 20\n'))
      const refused = await reloader.reload('#reload')
      expect(refused).toEqual({ ok: false, problems: [`${file}:8:15: 全角冒号「：」→ 半角「: 」（冒号后加空格）：points: 20 / full-width colon: write "points: 20"`] })
      expect(applied).toHaveLength(0)
      await writeFile(file, config('      checkin:\n        triggers: [签到，打卡]\n'))
      const warned = await reloader.reload('#reload')
      expect(warned.ok).toBe(true)
      expect(warned.problems).toEqual([expect.stringMatching(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:8:22: warning: 全角逗号「，」`))])
      expect(applied).toHaveLength(1)
    } finally {
      await cleanup()
    }
  })
})
