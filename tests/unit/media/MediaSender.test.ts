import { readdir, writeFile } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import sharp from 'sharp'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { parseConfig } from '../../../src/config/loadConfig.js'
import { silentLogger } from '../../../src/log/logger.js'
import { accountMedia } from '../../../src/media/accountMedia.js'
import { MediaLibrary, type PuppetMedia } from '../../../src/media/MediaLibrary.js'
import type { MediaFetch } from '../../../src/config/mediaContent.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { Store } from '../../../src/store/Store.js'
import { SKILLS } from '../../../skills/index.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * One account's media sender (src/media/MediaSender.ts) on the real MediaLibrary and store:
 * what the puppet is handed, and what goes instead when the account cannot send an item.
 */

const MEDIA_DIR = resolve('config')

const yaml = (perDay = '', extra = '') => `
bot:
  rateLimit: { roomPerMinute: 20, totalPerMinute: 60${perDay ? `, perDay: { ${perDay} }` : ''} }
media:
  rules: { image: media/群规.png, fallback: "群规：友善交流" }
  bare: { image: media/群规.png }
  pricelist: { file: media/价目表.pdf }
  live-card: { link: { url: "https://example.invalid/live", title: 今晚 8 点直播, description: 点开预约, thumb: media/live.jpg } }
  shop:
    miniProgram: { appid: wx0123, username: gh_abc@app, title: 积分商城, pagePath: pages/index, thumb: media/shop.jpg }
    fallback: "积分商城：发「积分商城」"
${extra}
groups: []
`

class FakePuppet {
  readonly media: Array<{ to: string; media: PuppetMedia }> = []
  readonly texts: Array<{ to: string; text: string }> = []
  refuse = new Set<string>()
  down = false
  async send(to: string, text: string): Promise<void> {
    if (this.down) throw new Error('not logged in')
    this.texts.push({ to, text })
  }
  async sendMedia(to: string, media: PuppetMedia): Promise<void> {
    if (this.down) throw new Error('not logged in')
    if (this.refuse.has(media.kind)) throw Object.assign(new Error(`12 UNIMPLEMENTED: ${media.kind} is not supported`), { code: 12 })
    this.media.push({ to, media })
  }
}

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c()
})

async function world(text = yaml(), o: { fetch?: MediaFetch; store?: Store; cacheDir?: string } = {}) {
  const clock = new FakeClock()
  const config = { ...parseConfig(join(MEDIA_DIR, 'bot.yaml'), text, SKILLS, clock.now()) }
  let cacheDir = o.cacheDir
  if (!cacheDir) {
    const tmp = await tempDir('siyu-media-')
    cleanups.push(tmp.cleanup)
    cacheDir = join(tmp.dir, 'media-cache')
  }
  const library = new MediaLibrary({ cacheDir, log: silentLogger, fetch: o.fetch })
  await library.use(config)
  let store = o.store
  if (!store) {
    const adapter = new MemoryAdapter()
    await adapter.open()
    store = new Store(adapter, { clock })
  }
  const puppet = new FakePuppet()
  const transport = accountMedia({
    library,
    budgets: (await store.open('core/')).child('media-budget'),
    account: 'helper1',
    bot: () => config.bot,
    clock,
    log: silentLogger,
    puppet: () => puppet,
  })
  return { clock, puppet, transport, library, store, cacheDir }
}

describe('sending media through one account', () => {
  it('hands the puppet a file box, a link card and a mini-program card with a made thumbnail', async () => {
    const w = await world()
    expect(await w.transport.sendMedia('r@chatroom', { name: 'rules', kind: 'image' })).toEqual({ as: 'media' })
    expect(await w.transport.sendMedia('r@chatroom', { name: 'pricelist', kind: 'file' })).toEqual({ as: 'media' })
    expect(await w.transport.sendMedia('r@chatroom', { name: 'live-card', kind: 'link' })).toEqual({ as: 'media' })
    expect(await w.transport.sendMedia('r@chatroom', { name: 'shop', kind: 'miniProgram' })).toEqual({ as: 'media' })
    const [image, file, link, mini] = w.puppet.media.map((m) => m.media)
    expect(image).toMatchObject({ kind: 'image', file: { name: '群规.png' } })
    expect(file).toMatchObject({ kind: 'file', file: { name: '价目表.pdf' } })
    expect(link).toMatchObject({ kind: 'link', url: { url: 'https://example.invalid/live', title: '今晚 8 点直播', description: '点开预约' } })
    expect(mini).toMatchObject({ kind: 'miniProgram', miniProgram: { appid: 'wx0123', username: 'gh_abc@app', title: '积分商城', pagePath: 'pages/index' } })
    // the thumbnails: JPEG, 5:4, at most 200 KB
    for (const dataUrl of [(link as { url: { thumbnailUrl: string } }).url.thumbnailUrl, (mini as { miniProgram: { thumbUrl: string } }).miniProgram.thumbUrl]) {
      expect(dataUrl).toMatch(/^data:image\/jpeg;base64,/)
      const jpeg = Buffer.from(dataUrl.split(',')[1]!, 'base64')
      const meta = await sharp(jpeg).metadata()
      expect(meta.format).toBe('jpeg')
      expect(meta.width! / meta.height!).toBe(5 / 4)
      expect(jpeg.length).toBeLessThanOrEqual(200 * 1024)
    }
    expect(w.library.describe('rules')).toMatch(/^\[图片 群规\.png \d+ (B|KB)\]$/)
    expect(w.library.describe('shop')).toBe('[小程序 积分商城 pages/index]')
  })

  it('a thumbnail from a large noisy picture is 5:4 and fits 200 KB', async () => {
    const tmp = await tempDir('siyu-thumb-')
    cleanups.push(tmp.cleanup)
    // pure noise, the worst case for JPEG: every pixel its own
    const raw = Buffer.alloc(1200 * 900 * 3)
    for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24
    const noise = await sharp(raw, { raw: { width: 1200, height: 900, channels: 3 } }).jpeg({ quality: 100 }).toBuffer()
    expect(noise.length).toBeLessThan(4 * 1024 * 1024)
    await writeFile(join(tmp.dir, 'noise.jpg'), noise)
    const text = `media:\n  card: { link: { url: "https://x.invalid", title: t, thumb: noise.jpg } }\ngroups: []\n`
    const config = parseConfig(join(tmp.dir, 'bot.yaml'), text, SKILLS)
    const library = new MediaLibrary({ cacheDir: join(tmp.dir, 'cache'), log: silentLogger })
    await library.use(config)
    const resolved = await library.resolve('card')
    const jpeg = Buffer.from((resolved as { url: { thumbnailUrl: string } }).url.thumbnailUrl.split(',')[1]!, 'base64')
    expect(jpeg.length).toBeLessThanOrEqual(200 * 1024)
    const meta = await sharp(jpeg).metadata()
    expect(meta.width! * 4).toBe(meta.height! * 5)
  })

  it('a kind the puppet refuses goes out as the fallback text; without a fallback it is skipped; the budget is not spent', async () => {
    const w = await world(yaml('miniProgram: 5, image: 5'))
    w.puppet.refuse.add('miniProgram').add('image')
    expect(await w.transport.sendMedia('r@chatroom', { name: 'shop', kind: 'miniProgram' })).toMatchObject({ as: 'fallback', reason: expect.stringMatching(/cannot send miniProgram/) })
    expect(w.puppet.texts).toEqual([{ to: 'r@chatroom', text: '积分商城：发「积分商城」' }])
    expect(await w.transport.sendMedia('r@chatroom', { name: 'bare', kind: 'image' })).toMatchObject({ as: 'skipped' })
    expect(w.puppet.media).toEqual([])
    expect(w.transport.mediaBudgetLeft('miniProgram')).toBe(5)
  })

  it('the daily budget per kind and account: beyond it the fallback, the next day again; kept across a restart', async () => {
    const w = await world(yaml('image: 2'))
    for (let i = 0; i < 2; i++) expect(await w.transport.sendMedia('r@chatroom', { name: 'rules', kind: 'image' })).toEqual({ as: 'media' })
    expect(w.transport.mediaBudgetLeft('image')).toBe(0)
    // a restart on the same store: still spent today
    const again = await world(yaml('image: 2'), { store: w.store, cacheDir: w.cacheDir })
    again.clock.set(w.clock.now())
    expect(await again.transport.sendMedia('r@chatroom', { name: 'rules', kind: 'image' })).toMatchObject({ as: 'fallback', reason: expect.stringMatching(/budget/) })
    expect(await again.transport.sendMedia('r@chatroom', { name: 'bare', kind: 'image' })).toMatchObject({ as: 'skipped', reason: expect.stringMatching(/budget/) })
    expect(again.puppet.media).toHaveLength(0)
    // other kinds have their own budget
    expect(await again.transport.sendMedia('r@chatroom', { name: 'pricelist', kind: 'file' })).toEqual({ as: 'media' })
    // tomorrow (Asia/Shanghai) the budget is back
    await again.clock.advance(24 * 3600_000)
    expect(await again.transport.sendMedia('r@chatroom', { name: 'rules', kind: 'image' })).toEqual({ as: 'media' })
  })

  it('a send that fails for another reason is not a fallback: the queue retries it, nothing spent', async () => {
    const w = await world(yaml('image: 1'))
    w.puppet.down = true
    await expect(w.transport.sendMedia('r@chatroom', { name: 'rules', kind: 'image' })).rejects.toThrow(/not logged in/)
    expect(w.transport.mediaBudgetLeft('image')).toBe(1)
  })

  it('https media: fetched at start and kept by content hash; when the fetch fails later the kept copy is sent; never fetched: the fallback', async () => {
    const png = await sharp({ create: { width: 40, height: 40, channels: 3, background: '#c33' } }).png().toBuffer()
    let online = true
    const fetched: string[] = []
    const fetch: MediaFetch = async (url) => {
      fetched.push(url)
      if (!online) throw new Error('ECONNREFUSED')
      return png
    }
    const remote = `  poster: { image: "https://cdn.example.invalid/a/%E6%B5%B7%E6%8A%A5.png", fallback: "海报见群公告" }\n  gone: { image: "https://cdn.example.invalid/gone.png", fallback: "图片暂时发不了" }`
    const text = yaml('', '').replace('media:\n', `media:\n${remote}\n`)
    // gone.png is never reachable
    const w = await world(text, { fetch: async (url, max) => (url.includes('gone') ? Promise.reject(new Error('HTTP 404')) : fetch(url, max)) })
    const files = await readdir(w.cacheDir)
    expect(files).toContain(`${(await import('node:crypto')).createHash('sha256').update(png).digest('hex')}.png`)
    // a restart while the CDN is down: the copy from before
    online = false
    const later = await world(text, { fetch: async (url, max) => (url.includes('gone') ? Promise.reject(new Error('HTTP 404')) : fetch(url, max)), cacheDir: w.cacheDir })
    expect(await later.transport.sendMedia('r@chatroom', { name: 'poster', kind: 'image' })).toEqual({ as: 'media' })
    expect(later.puppet.media[0]!.media).toMatchObject({ kind: 'image', file: { name: '海报.png' } })
    expect(await later.transport.sendMedia('r@chatroom', { name: 'gone', kind: 'image' })).toMatchObject({ as: 'fallback', reason: expect.stringMatching(/could not fetch.*404/) })
    expect(later.puppet.texts.map((t) => t.text)).toEqual(['图片暂时发不了'])
  })
})
