import { describe, expect, it } from 'vitest'
import { decodeText, TextFileError } from '../../../src/text/decodeText.js'

const utf16le = (s: string, bom = true) => Buffer.concat([bom ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0), Buffer.from(s, 'utf16le')])
const utf16be = (s: string, bom = true) => {
  const le = Buffer.from(s, 'utf16le')
  for (let i = 0; i < le.length; i += 2) [le[i], le[i + 1]] = [le[i + 1]!, le[i]!]
  return Buffer.concat([bom ? Buffer.from([0xfe, 0xff]) : Buffer.alloc(0), le])
}
const TEXT = 'AB12-CD34\r\n券码-甲\r\n# 注释\r\n'

function refusal(bytes: Uint8Array): TextFileError {
  try {
    decodeText(bytes, 'codes.txt')
  } catch (err) {
    if (err instanceof TextFileError) return err
    throw err
  }
  throw new Error('decoded, but it should have been refused')
}

describe('decodeText: a text file read as it was saved', () => {
  it('UTF-8, with or without a BOM', () => {
    expect(decodeText(Buffer.from(TEXT), 'f')).toEqual({ text: TEXT, encoding: 'utf-8' })
    expect(decodeText(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TEXT)]), 'f')).toEqual({ text: TEXT, encoding: 'utf-8 with BOM' })
  })

  it('UTF-16 LE and BE by their BOM (Excel and Notepad "Unicode text")', () => {
    expect(decodeText(utf16le(TEXT), 'f')).toEqual({ text: TEXT, encoding: 'utf-16le' })
    expect(decodeText(utf16be(TEXT), 'f')).toEqual({ text: TEXT, encoding: 'utf-16be' })
  })

  it('UTF-16 without a BOM, by where the NUL bytes are', () => {
    const codes = 'AB12-CD34\nEF56-GH78\nIJ90-KL12\n'
    expect(decodeText(utf16le(codes, false), 'f')).toEqual({ text: codes, encoding: 'utf-16le' })
    expect(decodeText(utf16be(codes, false), 'f')).toEqual({ text: codes, encoding: 'utf-16be' })
  })

  it('GB18030 (Windows "ANSI" on a Chinese system) when no line with non-ASCII bytes is UTF-8', () => {
    const gbk = Buffer.from([0x41, 0x31, 0x0a, 0xc8, 0xaf, 0xc2, 0xeb, 0xbc, 0xd7, 0x0a]) // "A1\n券码甲\n"
    expect(decodeText(gbk, 'f')).toEqual({ text: 'A1\n券码甲\n', encoding: 'gb18030' })
  })

  it('refuses a NUL or control character, and bytes that are no known encoding, at file:line', () => {
    const nul = refusal(Buffer.from('A1\nA2\nA3\u0000\n'))
    expect(nul.message).toMatch(/^codes\.txt:3: a NUL character \(U\+0000\)/)
    expect(refusal(Buffer.from('A1\n\u0007A2\n')).message).toMatch(/^codes\.txt:2: a control character \(U\+0007\)/)
    // line 1 is UTF-8 Chinese, line 3 a broken byte: UTF-8 with damage, not GB18030
    const damaged = Buffer.concat([Buffer.from('券码\nA2\n'), Buffer.from([0x41, 0xff, 0x0a])])
    expect(refusal(damaged).message).toMatch(/^codes\.txt:3: not valid UTF-8 text/)
    expect(refusal(Buffer.from([0xff, 0xfe, 0, 0, 0x41, 0, 0, 0])).message).toMatch(/UTF-32/)
    expect(refusal(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('A\n'), Buffer.from([0xc3, 0x28])])).message).toMatch(/^codes\.txt:2: not valid UTF-8/)
  })
})

describe('the config file itself', () => {
  it('a config saved as UTF-16 loads; one with a NUL byte is refused at file:line', async () => {
    const { writeFile } = await import('node:fs/promises')
    const { join } = await import('node:path')
    const { tempDir } = await import('../../helpers/tmp.js')
    const { loadConfig } = await import('../../../src/config/loadConfig.js')
    const { ConfigError, formatProblem } = await import('../../../src/config/problems.js')
    const { SKILLS } = await import('../../../skills/index.js')
    const { dir, cleanup } = await tempDir('siyu-cfg-enc-')
    try {
      const yaml = 'bot: { admins: [wxid_boss] }\r\ngroups:\r\n  - name: 粉丝\r\n    match: { topic: "粉丝*" }\r\n    skills: { checkin: {} }\r\n'
      await writeFile(join(dir, 'u16.yaml'), utf16le(yaml))
      const loaded = await loadConfig(join(dir, 'u16.yaml'), SKILLS)
      expect(loaded.groups.map((g) => g.name)).toEqual(['粉丝'])
      await writeFile(join(dir, 'nul.yaml'), Buffer.from(yaml.replace('粉丝*', '粉丝\u0000*')))
      const err = await loadConfig(join(dir, 'nul.yaml'), SKILLS).catch((e: unknown) => e)
      expect(err).toBeInstanceOf(ConfigError)
      expect((err as InstanceType<typeof ConfigError>).problems.map(formatProblem)).toEqual([expect.stringMatching(/nul\.yaml:4:1: a NUL character \(U\+0000\)/)])
    } finally {
      await cleanup()
    }
  })
})
