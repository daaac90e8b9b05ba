import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { SKILLS } from '../../../skills/index.js'
import { readCodesFile } from '../../../skills/shop/Codes.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { runCheck } from '../../../src/cli/runCheck.js'
import { harness } from '../../helpers/harness.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * A codes file saved by Windows as "Unicode text" (UTF-16 LE with a BOM, CRLF) was read as
 * UTF-8: every code held NUL bytes, the member got a garbled code, and PostgreSQL refused the
 * key. Codes files are read by their encoding, or refused at `npm run check` with their line.
 */

let dir: string
let cleanup: () => Promise<void>
beforeAll(async () => ({ dir, cleanup } = await tempDir('siyu-codes-enc-')))
afterAll(() => cleanup())

const config = (codes: string) => `bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: sisley, points: 10 }
      points: {}
      shop:
        items:
          - { id: coupon, name: 20元券, price: 10, delivery: codes, codes: "${codes}" }
`

function write(name: string, bytes: Buffer): string {
  const file = join(dir, name)
  writeFileSync(file, bytes)
  return file
}

const CODES = ['XK7Q-2M9P', '券码-甲', 'ZZ01-AB02']
const WINDOWS_UNICODE_TEXT = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CODES.join('\r\n') + '\r\n', 'utf16le')])

describe('shop: codes files in the encodings Windows saves', () => {
  it('a UTF-16 "Unicode text" export: the member gets the code as typed, not with NUL bytes', async () => {
    const h = await harness(config(write('unicode.txt', WINDOWS_UNICODE_TEXT)), { clock: new FakeClock(Date.parse('2026-03-02T02:00:00Z')) })
    const room = h.room('粉丝1群')
    const alice = h.member('Alice')
    await h.say(room, { id: 'wxid_boss', name: '老板' }, '#points add @Alice 50 测试', { mentionIds: [alice.id] })
    await h.say(room, alice, '兑换 coupon')
    expect(h.texts(alice.id)).toEqual(['【兑换券码】20元券：XK7Q-2M9P\n订单 1，请妥善保存，勿转发他人'])
  })

  it('UTF-8 with a BOM, UTF-16 BE, UTF-16 without a BOM, GB18030: the same codes', () => {
    const be = Buffer.from(CODES.join('\n'), 'utf16le')
    for (let i = 0; i < be.length; i += 2) [be[i], be[i + 1]] = [be[i + 1]!, be[i]!]
    const files = {
      'bom8.txt': Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(CODES.join('\n'))]),
      'be.txt': Buffer.concat([Buffer.from([0xfe, 0xff]), be]),
      'nobom.txt': Buffer.from(['AA11', 'BB22', 'CC33'].join('\r\n'), 'utf16le'),
      // 券码-甲 in GB18030
      'gbk.txt': Buffer.concat([Buffer.from('XK7Q-2M9P\n'), Buffer.from([0xc8, 0xaf, 0xc2, 0xeb, 0x2d, 0xbc, 0xd7, 0x0a]), Buffer.from('ZZ01-AB02\n')]),
    }
    const read = Object.fromEntries(Object.entries(files).map(([name, bytes]) => [name, readCodesFile(write(name, bytes)).codes]))
    expect(read).toEqual({ 'bom8.txt': CODES, 'be.txt': CODES, 'nobom.txt': ['AA11', 'BB22', 'CC33'], 'gbk.txt': CODES })
  })

  it('`npm run check` refuses a codes file with a NUL byte or broken UTF-8, at the config line and the file line', async () => {
    const check = async (codes: string) => {
      const yaml = write(`bot-${Math.random().toString(36).slice(2)}.yaml`, Buffer.from(config(codes)))
      let err = ''
      const code = await runCheck(['--config', yaml], { write: () => true } as never, { write: (s: string) => ((err += s), true) } as never)
      return { code, err, yaml }
    }
    const nul = write('nul.txt', Buffer.from('A1\nA2\nA3\u0000B\n'))
    const r1 = await check(nul)
    expect(r1.code).toBe(1)
    expect(r1.err).toContain(`${r1.yaml}:10:`)
    expect(r1.err).toContain(`codes file ${nul}:3: a NUL character (U+0000)`)
    const broken = write('broken.txt', Buffer.concat([Buffer.from('券码\n'), Buffer.from([0x41, 0xc3, 0x28, 0x0a])]))
    const r2 = await check(broken)
    expect(r2.code).toBe(1)
    expect(r2.err).toContain(`codes file ${broken}:2: not valid UTF-8 text`)
    // and the Windows export passes
    const ok = await check(write('ok.txt', WINDOWS_UNICODE_TEXT))
    expect(ok.err).toBe('')
    expect(ok.code).toBe(0)
  })
})
