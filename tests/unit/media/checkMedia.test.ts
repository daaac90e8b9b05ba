import { copyFile, mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { runCheck } from '../../../src/cli/runCheck.js'
import { tempDir } from '../../helpers/tmp.js'
import { freePort } from '../../helpers/PuppetService.js'

/**
 * `npm run check` on `media:` (CONTRACT §10): every problem of a media file at the
 * file:line:col of the item — missing, not what it claims by content, over 4 MB — and an
 * unreachable https item as a warning.
 */

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function check(config: string, files: (dir: string) => Promise<void> = async () => {}): Promise<{ code: number; out: string; err: string }> {
  const { dir, cleanup } = await tempDir('siyu-check-media-')
  cleanups.push(cleanup)
  await mkdir(join(dir, 'media'))
  await files(dir)
  const path = join(dir, 'bot.yaml')
  await writeFile(path, config)
  let out = ''
  let err = ''
  const code = await runCheck(['--config', path], { write: (s: string) => (out += s) }, { write: (s: string) => (err += s) })
  return { code, out: out.replaceAll(dir, '<dir>'), err: err.replaceAll(dir, '<dir>') }
}

const GROUPS = `bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        rules:
          - exact: 群规
            reply: ["群规如下", { media: rules }]
`

describe('npm run check on media', () => {
  it('names a missing file, a file that is not what it claims by content, and one over 4 MB, each where it is written', async () => {
    const r = await check(
      `${GROUPS}media:
  rules: { image: media/群规.png }
  pricelist: { file: media/价目表.pdf }
  poster: { image: media/poster.jpg }
`,
      async (dir) => {
        // a PNG saved under a .pdf name, and a picture that is too big
        await copyFile('config/media/群规.png', join(dir, 'media/价目表.pdf'))
        const big = Buffer.alloc(4 * 1024 * 1024 + 1)
        Buffer.from([0xff, 0xd8, 0xff, 0xe0]).copy(big)
        await writeFile(join(dir, 'media/poster.jpg'), big)
      },
    )
    expect(r.code).toBe(1)
    expect(r.err).toContain('<dir>/bot.yaml:11:19: media rules: media/群规.png: file not found: <dir>/media/群规.png')
    expect(r.err).toContain('<dir>/bot.yaml:12:22: media pricelist: media/价目表.pdf: 价目表.pdf is not a .pdf file by its content (its content is image/png); fix the file or its name')
    expect(r.err).toContain('<dir>/bot.yaml:13:20: media poster: media/poster.jpg: it is 4194305 bytes; images and files are at most 4 MB (what the puppet service carries)')
    expect(r.err).toMatch(/3 problem\(s\); the config was not accepted/)
  })

  it('a picture that is not a picture, and a card thumb that cannot be made from its file', async () => {
    const r = await check(
      `${GROUPS}media:
  rules: { image: media/rules.png }
  card: { link: { url: "https://example.invalid", title: 直播, thumb: media/thumb.jpg } }
`,
      async (dir) => {
        await copyFile('config/media/价目表.pdf', join(dir, 'media/rules.png'))
        await writeFile(join(dir, 'media/thumb.jpg'), 'not a picture at all')
      },
    )
    expect(r.code).toBe(1)
    expect(r.err).toContain('bot.yaml:11:19: media rules: media/rules.png: rules.png is not a JPEG, PNG or GIF picture (its content is application/pdf)')
    expect(r.err).toContain('bot.yaml:12:69: media card: thumb media/thumb.jpg: thumb.jpg is not a JPEG, PNG, GIF or WebP picture (its content is not a known type)')
  })

  it('an unreachable https item is a warning: the config is accepted', async () => {
    const port = await freePort()
    const r = await check(`${GROUPS}media:\n  rules: { image: "https://127.0.0.1:${port}/rules.png", fallback: 群规见公告 }\n`)
    expect(r.code).toBe(0)
    expect(r.out).toContain(`bot.yaml:11:19: warning: media rules: https://127.0.0.1:${port}/rules.png could not be fetched (ECONNREFUSED)`)
  })

  it('media problems are reported with the other errors of the config in one run', async () => {
    const r = await check(`${GROUPS.replace('exact: 群规', 'exact: 群规\n            cooldownSeconds: -1')}media:\n  rules: { image: media/none.png }\n`)
    expect(r.code).toBe(1)
    expect(r.err).toMatch(/cooldownSeconds must be 0 or more/)
    expect(r.err).toMatch(/media rules: media\/none\.png: file not found/)
  })

  it('the shipped example config, with its media, passes', async () => {
    let out = ''
    const code = await runCheck(['--config', 'config/bot.example.yaml'], { write: (s: string) => (out += s) }, { write: (s: string) => (out += s) })
    expect(out).not.toMatch(/media .*(not found|not a|could not)/)
    expect(out).toMatch(/media: rules \(图片\), pricelist \(文件\), live-card \(链接卡片\), shop \(小程序, fallback\)/)
    expect(code).toBe(0)
  })
})
