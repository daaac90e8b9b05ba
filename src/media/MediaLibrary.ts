import { createHash } from 'node:crypto'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FileBox, type FileBoxInterface } from 'file-box'
import type { Logger } from 'pino'
import { contentProblem, fetchMedia, fileNameOf, localPath, MAX_MEDIA_BYTES, readLocal, typeOf, type MediaFetch } from '../config/mediaContent.js'
import { describeMedia } from './describe.js'
import type { MediaSection, MediaSource, MediaSpec } from '../config/mediaSchema.js'
import { makeThumbnail } from './thumbnail.js'

/** What the puppet is handed for one media item. */
export type PuppetMedia =
  | { kind: 'image' | 'file'; file: FileBoxInterface }
  | { kind: 'link'; url: { url: string; title: string; description?: string; thumbnailUrl?: string } }
  | {
      kind: 'miniProgram'
      miniProgram: { appid: string; username: string; title: string; pagePath?: string; description?: string; iconUrl?: string; thumbUrl?: string }
    }

/** The item cannot be had now (a fetch failed, a file vanished): its fallback goes instead. */
export class MediaUnavailable extends Error {}

interface CachedFile {
  path: string
  name: string
  bytes: number
}

/** The cache's index: which URL is which file (content-addressed, so a changed picture is a new file). */
type UrlIndex = Map<string, CachedFile>

export interface MediaLibraryOptions {
  /** `<data>/media-cache`: fetched https media and made thumbnails, by content hash. */
  cacheDir: string | undefined
  log: Logger
  fetch?: MediaFetch
}

/**
 * The config's media, ready to send. At start and after every reload (`use`) each https item
 * is fetched once and kept in the data dir by content hash, and each card's thumbnail made
 * (src/media/thumbnail.ts) and kept likewise — a problem is logged, never thrown: a send of
 * that item then tries once more and otherwise sends the fallback. `resolve` is what a send
 * hands to the puppet.
 */
export class MediaLibrary {
  private media: MediaSection = new Map()
  private baseDir = '.'
  /** Fetched https sources (by URL) and local ones (by path): file, name, size. */
  private readonly files = new Map<string, CachedFile>()
  /** Thumbnails as data: URLs, by source (URL or path). */
  private readonly thumbs = new Map<string, string>()
  private index: UrlIndex | undefined
  private readonly fetch: MediaFetch

  constructor(private readonly o: MediaLibraryOptions) {
    this.fetch = o.fetch ?? fetchMedia
  }

  /** Take a config's `media:` (start, reload): fetch, cache and make thumbnails. Never throws. */
  async use(config: { media: MediaSection; baseDir: string }): Promise<void> {
    this.media = config.media
    this.baseDir = config.baseDir
    this.files.clear()
    this.thumbs.clear()
    await Promise.all(
      [...config.media].map(([name, spec]) =>
        this.prepare(spec).catch((err: unknown) => this.o.log.warn({ media: name, err: (err as Error).message }, 'media item not ready; a send tries again and otherwise sends its fallback')),
      ),
    )
    if (config.media.size > 0) this.o.log.info({ media: config.media.size, ready: this.readyCount() }, 'media ready')
  }

  spec(name: string): MediaSpec | undefined {
    return this.media.get(name)
  }

  /** `[图片 群规.png 120 KB]` and the like (what the sandbox and logs show). */
  describe(name: string): string {
    const spec = this.media.get(name)
    if (!spec) return `[${name}?]`
    if (spec.kind === 'link') return describeMedia({ kind: 'link', title: spec.link.title, url: spec.link.url })
    if (spec.kind === 'miniProgram') return describeMedia({ kind: 'miniProgram', title: spec.miniProgram.title, pagePath: spec.miniProgram.pagePath })
    const f = this.files.get(this.keyOf(spec.source))
    return describeMedia({ kind: spec.kind, name: f?.name ?? fileNameOf(spec.source), bytes: f?.bytes })
  }

  /** What the puppet gets for this item now; MediaUnavailable when it cannot be had. */
  async resolve(name: string): Promise<PuppetMedia> {
    const spec = this.media.get(name)
    if (!spec) throw new MediaUnavailable(`no media item "${name}" in the config`)
    if (spec.kind === 'image' || spec.kind === 'file') {
      const f = await this.fileOf(spec.source, spec.kind)
      return { kind: spec.kind, file: FileBox.fromFile(f.path, f.name) }
    }
    const thumb = spec.thumb ? await this.thumbOf(spec.thumb) : undefined
    if (spec.kind === 'link') {
      const l = spec.link
      return { kind: 'link', url: { url: l.url, title: l.title, ...(l.description ? { description: l.description } : {}), ...(thumb ? { thumbnailUrl: thumb } : {}) } }
    }
    if (spec.kind !== 'miniProgram') throw new MediaUnavailable(`unknown kind of media item "${name}"`)
    const { thumb: _, ...m } = spec.miniProgram
    return { kind: 'miniProgram', miniProgram: { ...m, ...(thumb ? { thumbUrl: thumb } : {}) } }
  }

  private readyCount(): number {
    let n = 0
    for (const spec of this.media.values()) {
      const file = spec.kind === 'image' || spec.kind === 'file' ? this.files.has(this.keyOf(spec.source)) : true
      const thumb = spec.thumb ? this.thumbs.has(this.keyOf(spec.thumb)) : true
      if (file && thumb) n++
    }
    return n
  }

  private async prepare(spec: MediaSpec): Promise<void> {
    if (spec.kind === 'image' || spec.kind === 'file') await this.fileOf(spec.source, spec.kind)
    if (spec.thumb) await this.thumbOf(spec.thumb)
  }

  private keyOf(source: MediaSource): string {
    return source.url ?? localPath(source, this.baseDir)
  }

  /** The file to send: a local file as it is now, an https one from the cache (fetched if not yet). */
  private async fileOf(source: MediaSource, as: 'image' | 'file'): Promise<CachedFile> {
    const key = this.keyOf(source)
    const known = this.files.get(key)
    if (known && (await exists(known.path))) return known
    if (!source.url) {
      const info = await stat(key).catch(() => undefined)
      if (!info?.isFile()) throw new MediaUnavailable(`file not found: ${key}`)
      if (info.size > MAX_MEDIA_BYTES) throw new MediaUnavailable(`${key} is over 4 MB now`)
      const f = { path: key, name: fileNameOf(source), bytes: info.size }
      this.files.set(key, f)
      return f
    }
    const bytes = await this.fetched(source.url)
    const verdict = await contentProblem(bytes, as, fileNameOf(source))
    if (verdict.error) throw new MediaUnavailable(`${source.url}: ${verdict.error}`)
    const f = await this.cache(source.url, bytes, fileNameOf(source))
    this.files.set(key, f)
    return f
  }

  /** A card's thumbnail as a data: URL (made once per picture, kept by its hash). */
  private async thumbOf(source: MediaSource): Promise<string> {
    const key = this.keyOf(source)
    const known = this.thumbs.get(key)
    if (known) return known
    const picture = source.url ? await this.fetched(source.url) : await unavailableIf(readLocal(key), `thumb ${key}`)
    const file = this.o.cacheDir ? join(this.o.cacheDir, `thumb-${sha256(picture)}.jpg`) : undefined
    const kept = file ? await readFile(file).catch(() => undefined) : undefined
    const jpeg = kept ?? (await unavailableIf(makeThumbnail(picture), `thumb ${source.given}`))
    if (file && !kept) await writeAtomically(file, jpeg)
    const url = `data:image/jpeg;base64,${jpeg.toString('base64')}`
    this.thumbs.set(key, url)
    return url
  }

  /** An https source's bytes: fetched now, or the copy cached by an earlier fetch. */
  private async fetched(url: string): Promise<Buffer> {
    try {
      return await this.fetch(url, MAX_MEDIA_BYTES)
    } catch (err) {
      const cached = (await this.loadIndex()).get(url)
      const bytes = cached ? await readFile(cached.path).catch(() => undefined) : undefined
      if (bytes) {
        this.o.log.warn({ url, err: (err as Error).message }, 'could not fetch a media item; using the copy fetched before')
        return bytes
      }
      throw new MediaUnavailable(`could not fetch ${url}: ${(err as Error).message}`)
    }
  }

  private async cache(url: string, bytes: Buffer, name: string): Promise<CachedFile> {
    if (!this.o.cacheDir) throw new MediaUnavailable('no data dir to keep fetched media in')
    const t = await typeOf(bytes)
    const path = join(this.o.cacheDir, `${sha256(bytes)}${t.ext ? `.${t.ext}` : ''}`)
    if (!(await exists(path))) await writeAtomically(path, bytes)
    const f = { path, name, bytes: bytes.length }
    const index = await this.loadIndex()
    const old = index.get(url)
    if (old?.path !== path) {
      index.set(url, f)
      await writeAtomically(join(this.o.cacheDir, 'index.json'), Buffer.from(JSON.stringify(Object.fromEntries(index), null, 1)))
    }
    return f
  }

  private async loadIndex(): Promise<UrlIndex> {
    if (this.index) return this.index
    const index: UrlIndex = new Map()
    if (this.o.cacheDir) {
      const text = await readFile(join(this.o.cacheDir, 'index.json'), 'utf8').catch(() => undefined)
      try {
        const parsed = text ? (JSON.parse(text) as unknown) : {}
        if (parsed && typeof parsed === 'object') {
          for (const [url, v] of Object.entries(parsed)) {
            const f = v as Partial<CachedFile>
            if (typeof f?.path === 'string' && typeof f.name === 'string' && typeof f.bytes === 'number') index.set(url, { path: f.path, name: f.name, bytes: f.bytes })
          }
        }
      } catch {
        // the cache is only a cache: a broken index is rebuilt by the next fetches
      }
    }
    this.index = index
    return index
  }
}

/** A failure of `work` as MediaUnavailable (the send sends the fallback). */
async function unavailableIf<T>(work: Promise<T>, what: string): Promise<T> {
  try {
    return await work
  } catch (err) {
    throw new MediaUnavailable(`${what}: ${(err as Error).message}`)
  }
}

function sha256(b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  )
}

async function writeAtomically(path: string, bytes: Buffer): Promise<void> {
  const dir = join(path, '..')
  await mkdir(dir, { recursive: true })
  const tmp = `${path}.${process.pid}.tmp`
  await writeFile(tmp, bytes)
  await rename(tmp, path)
}
