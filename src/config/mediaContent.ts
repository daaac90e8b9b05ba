import { open, stat } from 'node:fs/promises'
import { basename, extname, resolve } from 'node:path'
import { fileTypeFromBuffer, supportedExtensions } from 'file-type'
import sharp from 'sharp'
import type { MediaSource } from './mediaSchema.js'

/**
 * Reading media and judging what they are: by content (file-type's magic numbers, sharp's
 * decoder), never by the name.
 */

/** What the puppet service carries for an image or a file (gRPC's default message size). */
export const MAX_MEDIA_BYTES = 4 * 1024 * 1024

/** Pictures WeChat shows inline. */
export const IMAGE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif'])
/** What a thumbnail may be made from (sharp decodes these). */
export const THUMB_SOURCE_TYPES: ReadonlySet<string> = new Set(['image/jpeg', 'image/png', 'image/gif', 'image/webp'])

/** How https media are fetched: the bytes, or a rejection saying why (tests pass their own). */
export type MediaFetch = (url: string, maxBytes: number) => Promise<Buffer>

export class MediaTooBig extends Error {
  constructor(readonly bytes: number | undefined) {
    super(`it is ${bytes === undefined ? 'more than 4 MB' : `${bytes} bytes`}; images and files are at most ${formatBytes(MAX_MEDIA_BYTES)} (what the puppet service carries)`)
  }
}

/** fetch() with a timeout, refusing bodies over `maxBytes` without reading them whole. */
export const fetchMedia: MediaFetch = async (url, maxBytes) => {
  const res = await fetch(url, { signal: AbortSignal.timeout(15_000), redirect: 'follow' }).catch((err: Error & { cause?: { code?: string; message?: string } }) => {
    // undici says "fetch failed"; the cause says why (ECONNREFUSED, a certificate, a timeout)
    throw new Error(err.cause?.code ?? err.cause?.message ?? err.message)
  })
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`.trim())
  const declared = Number(res.headers.get('content-length') ?? NaN)
  if (declared > maxBytes) {
    await res.body?.cancel()
    throw new MediaTooBig(declared)
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of res.body ?? []) {
    size += chunk.length
    if (size > maxBytes) throw new MediaTooBig(undefined)
    chunks.push(Buffer.from(chunk))
  }
  return Buffer.concat(chunks)
}

/** Where a local media file is: relative to the config's folder. */
export function localPath(source: MediaSource, baseDir: string): string {
  return resolve(baseDir, source.given)
}

/** The name a media item is sent under: the file's name, or the URL's last path segment. */
export function fileNameOf(source: MediaSource): string {
  if (!source.url) return basename(source.given)
  const last = new URL(source.url).pathname.split('/').filter(Boolean).pop() ?? 'file'
  try {
    return decodeURIComponent(last)
  } catch {
    return last
  }
}

/** Read a local media file, refusing one over the limit before reading it. */
export async function readLocal(path: string): Promise<Buffer> {
  const info = await stat(path)
  if (!info.isFile()) throw new Error('it is not a file')
  if (info.size > MAX_MEDIA_BYTES) throw new MediaTooBig(info.size)
  const fh = await open(path, 'r')
  try {
    return await fh.readFile()
  } finally {
    await fh.close()
  }
}

export interface Typed {
  mime: string | undefined
  ext: string | undefined
}

export async function typeOf(bytes: Buffer): Promise<Typed> {
  const t = await fileTypeFromBuffer(bytes)
  return { mime: t?.mime, ext: t?.ext }
}

const SAME_EXT: Record<string, string> = { jpeg: 'jpg', tiff: 'tif', htm: 'html', mpeg: 'mpg' }

/**
 * What is wrong with these bytes for this use, or undefined. `as`: an inline picture, a file
 * (its content must be what its extension says, where that can be told), or a thumbnail's
 * source picture.
 */
export async function contentProblem(bytes: Buffer, as: 'image' | 'file' | 'thumb', fileName: string): Promise<{ error?: string; warning?: string }> {
  const t = await typeOf(bytes)
  const ext = extname(fileName).slice(1).toLowerCase()
  const norm = (e: string): string => SAME_EXT[e] ?? e
  const content = t.mime ? `its content is ${t.mime}` : 'its content is not a known type'
  if (as === 'file') {
    // a .txt or .csv has no magic number: only types that can be told are compared
    const canTell = supportedExtensions.has(ext as never) || supportedExtensions.has(norm(ext) as never)
    if (canTell && norm(t.ext ?? '') !== norm(ext)) return { error: `${fileName} is not a .${ext} file by its content (${content}); fix the file or its name` }
    return {}
  }
  const allowed = as === 'image' ? IMAGE_TYPES : THUMB_SOURCE_TYPES
  if (!t.mime || !allowed.has(t.mime)) {
    return { error: `${fileName} is not a ${as === 'image' ? 'JPEG, PNG or GIF' : 'JPEG, PNG, GIF or WebP'} picture (${content})` }
  }
  try {
    await sharp(bytes).metadata()
  } catch (err) {
    return { error: `${fileName} cannot be read as a picture: ${(err as Error).message}` }
  }
  if (ext && norm(ext) !== norm(t.ext ?? '')) return { warning: `${fileName} is a ${t.ext?.toUpperCase()} picture by its content, not .${ext} (it is sent as it is; renaming it avoids surprises)` }
  return {}
}

export function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1).replace(/\.0$/, '')} MB`
  if (n >= 1024) return `${Math.round(n / 1024)} KB`
  return `${n} B`
}
