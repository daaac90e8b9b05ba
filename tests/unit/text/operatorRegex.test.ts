import { describe, expect, it } from 'vitest'
import { AutoreplySkill } from '../../../skills/autoreply/index.js'
import { compileOperatorRegex, OperatorRegexError } from '../../../src/text/operatorRegex.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness } from '../../helpers/harness.js'

/** Patterns an operator may write, with texts; RE2 must answer what JavaScript's RegExp answers. */
const SAME_AS_JS: Array<[string, string, string[]]> = [
  ['(a+)+$', '', ['aaaa', 'xaaa', 'aaa!', '', 'a\na']],
  ['优惠(券|码)', 'iu', ['领优惠券', '优惠码在哪', '优惠', 'VIP优惠券']],
  ['VIP\\d+群', 'i', ['vip12群', 'VIP群', 'Vip007群!']],
  ['[\\u4e00-\\u9fa5]{2,}', 'u', ['你好', 'a你b', 'abc']],
  ['\\u{1F600}|\\ud83d\\ude01', 'u', ['😀', '😁', ':)']],
  ['^\\s*签到\\s*$', 'u', ['签到', '\u3000签到\u3000', ' 签到 ', '签到了']],
  ['a\\Sb', 'u', ['axb', 'a\u3000b', 'a b']],
  ['[\\s\\d]', 'u', ['\u3000', '7', 'x']],
  ['a.b', '', ['axb', 'a\rb', 'a\nb', 'a\u2028b']],
  ['a.b', 's', ['a\rb', 'a\nb']],
  ['^b', 'm', ['a\nb', 'ab']],
  ['[^]', '', ['x', '']],
  ['a[]', '', ['a', 'a[]']],
  ['(?<year>\\d{4})年', 'u', ['2026年', '26年']],
  ['\\/help\\b', '', ['/help me', '/helpme']],
  ['x{,3}', '', ['x{,3}', 'xxx']],
]

describe('operator regexes on RE2 (linear time)', () => {
  it.each(SAME_AS_JS)('/%s/%s matches what JavaScript matches', (source, flags, texts) => {
    const re = compileOperatorRegex(source, flags)
    const js = new RegExp(source, flags)
    for (const t of texts) expect([t, re.test(t)]).toEqual([t, js.test(t)])
  })

  it('(a+)+$ is matched correctly, also on a 4,000-character text crafted against backtracking', () => {
    const re = compileOperatorRegex('(a+)+$', 'iu')
    expect(re.test('a'.repeat(3999) + '!')).toBe(false)
    expect(re.test('!' + 'A'.repeat(3999))).toBe(true)
    expect(re.test('aaa!a')).toBe(true)
  })

  it('refuses backreferences and lookaround, naming them in English and Chinese', () => {
    const err = (s: string): string => {
      try {
        compileOperatorRegex(s)
      } catch (e) {
        expect(e).toBeInstanceOf(OperatorRegexError)
        return (e as Error).message
      }
      throw new Error(`${s} compiled`)
    }
    expect(err('(a)\\1')).toMatch(/^backreferences \(\\1\) are not supported: .*RE2.* — 不支持反向引用（\\1）/)
    expect(err('(?<n>a)\\k<n>')).toMatch(/^backreferences \(\\k<name>\)/)
    expect(err('a(?=b)')).toMatch(/^lookaround \(\(\?=…\) is not supported.* — 不支持环视断言/)
    expect(err('(?<!x)y')).toMatch(/^lookaround \(\(\?<!…\)/)
    expect(err('a**')).toBe('invalid nested repetition operator at `**` — 正则表达式有误：重复符号不能叠用（如 a**）（`**`）')
    expect(err('[\\1]')).toMatch(/^invalid escape sequence at `\\1`/) // in a class \1 is no backreference, and no escape RE2 knows
    expect(() => compileOperatorRegex('a', 'y')).toThrow(/flag "y" is not supported.*不支持的正则标志/)
  })
})

describe('every regex the config takes is checked at load (npm run check, start, #reload)', () => {
  const config = (rule: string, topic = '粉丝*'): string => `bot:
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "${topic}" }
    skills:
      autoreply:
        rules:
          - regex: "${rule}"
            reply: x
`

  it('an autoreply regex RE2 cannot run is an error at its file:line:col', () => {
    expect(configErrors(config('(优惠)\\\\1'), [AutoreplySkill])).toEqual([
      expect.stringMatching(/^bot\.yaml:9:20: invalid regular expression \/\(优惠\)\\1\/iu: backreferences \(\\1\) are not supported.*不支持反向引用/),
    ])
  })

  it('a group topic /regex/ RE2 cannot run is an error at its file:line:col', () => {
    expect(configErrors(config('ok', '/^(?!测试).*群$/'), [AutoreplySkill])).toEqual([
      expect.stringMatching(/^bot\.yaml:5:21: invalid topic regex: \/\^\(\?!测试\)\.\*群\$\/: lookaround \(\(\?!…\) is not supported/),
    ])
  })

  it('a group topic regex matches like JavaScript would, flags included', async () => {
    const h = await harness(config('ok', '/^vip\\\\s*\\\\d+群$/i'), { skills: [AutoreplySkill] })
    expect(h.engine.rooms.groupFor({ id: 'r1@chatroom', topic: 'VIP\u300012群' })?.name).toBe('fans')
    expect(h.engine.rooms.groupFor({ id: 'r2@chatroom', topic: 'VIP群' })).toBeUndefined()
  })

  it('#reload refuses such a config, tells the admin why, and keeps the running one', async () => {
    const h = await harness(config('(a+)+$'), { skills: [AutoreplySkill] })
    const room = h.room('粉丝1群')
    h.setReloadYaml(config('a(?=b)'))
    await h.say(room, h.member('boss', 'wxid_boss'), '#reload')
    expect(h.texts(room.id).at(-1)).toMatch(/^配置有误，未生效（继续使用旧配置）：\ntest\.yaml:9:20: invalid regular expression \/a\(\?=b\)\/iu: lookaround/)
    await h.say(room, h.member('Ann'), 'xaaa')
    expect(h.texts(room.id).at(-1)).toBe('x')
  })
})
