import { describe, expect, it } from 'vitest'
import { parseTemplate, placeholders, render, renderText } from '../../../src/text/template.js'
import { renderOutgoing, splitSegments, MENTION_END } from '../../../src/text/Outgoing.js'

describe('templates are plain placeholder substitution', () => {
  it('substitutes known variables and leaves other braces alone', () => {
    const t = parseTemplate('{name} 签到成功 +{points} {不是变量} {}')
    expect(renderText(t, { name: 'Alice', points: 10 })).toBe('Alice 签到成功 +10 {不是变量} {}')
    expect(placeholders('{a}{b} {c.d} {1x}')).toEqual(['a', 'b'])
  })

  it('never evaluates anything', () => {
    const t = parseTemplate('{constructor} {__proto__} {toString}')
    expect(renderText(t, {})).toBe('  ')
  })

  it('turns member lists into real mentions', () => {
    const t = parseTemplate('欢迎 {names} 加入{topic}')
    const segs = render(t, { names: [{ mention: 'wxid_a', name: 'A' }, { mention: 'wxid_b', name: 'B' }], topic: '粉丝群' })
    // mentions end with U+2005, except where the template puts a space after them anyway
    expect(renderOutgoing(segs)).toEqual({ text: `欢迎 @A${MENTION_END}@B 加入粉丝群`, mentionIds: ['wxid_a', 'wxid_b'] })
  })

  it('splits long texts at line ends and never inside a mention', () => {
    const segs = [...Array.from({ length: 50 }, (_, i) => ({ mention: `id${i}`, name: `member${i}` })), ' 开播啦']
    const parts = splitSegments(segs, 100)
    expect(parts.length).toBeGreaterThan(1)
    expect(parts.flat().filter((s) => typeof s !== 'string')).toHaveLength(50)
    const lines = splitSegments(['a'.repeat(60) + '\n', 'b'.repeat(60)], 100)
    expect(lines).toEqual([['a'.repeat(60)], ['b'.repeat(60)]])
  })
})
