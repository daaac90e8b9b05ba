import type { Problem } from './problems.js'
import type { Path } from './YamlSource.js'
import { contentProblem, fetchMedia, fileNameOf, localPath, MAX_MEDIA_BYTES, MediaTooBig, readLocal, type MediaFetch } from './mediaContent.js'
import type { MediaSection, MediaSource } from './mediaSchema.js'

export type { MediaFetch } from './mediaContent.js'

type At = (path: Path, message: string, severity?: Problem['severity']) => Problem

/** Each source of an item (its file or picture, a card's thumb) with where it is written. */
export function sourcesOf(name: string, spec: MediaSection extends Map<string, infer S> ? S : never): Array<{ path: Path; source: MediaSource; as: 'image' | 'file' | 'thumb' }> {
  const out: Array<{ path: Path; source: MediaSource; as: 'image' | 'file' | 'thumb' }> = []
  if (spec.kind === 'image' || spec.kind === 'file') out.push({ path: ['media', name, spec.kind], source: spec.source, as: spec.kind })
  if (spec.thumb) out.push({ path: ['media', name, spec.kind, 'thumb'], source: spec.thumb, as: 'thumb' })
  return out
}

/**
 * `npm run check` (and every start and reload) on `media:`: every file exists, is within
 * 4 MB, and is by its content what it claims; an https item is fetched once — unreachable is
 * a warning (it is fetched again at start, and a send that still cannot have it sends the
 * fallback). Problems at `file:line:col` of the item.
 */
export async function checkMediaFiles(media: MediaSection, baseDir: string, at: At, fetch: MediaFetch = fetchMedia): Promise<Problem[]> {
  const problems: Problem[] = []
  const jobs = [...media].flatMap(([name, spec]) => sourcesOf(name, spec).map((s) => ({ name, ...s })))
  await Promise.all(
    jobs.map(async ({ name, path, source, as }) => {
      const what = as === 'thumb' ? `media ${name}: thumb ${source.given}` : `media ${name}: ${source.given}`
      let bytes: Buffer
      if (source.url) {
        try {
          bytes = await fetch(source.url, MAX_MEDIA_BYTES)
        } catch (err) {
          if (err instanceof MediaTooBig) problems.push(at(path, `${what}: ${err.message}`))
          else problems.push(at(path, `${what} could not be fetched (${(err as Error).message}); it is tried again at start, and a send without it sends the fallback`, 'warning'))
          return
        }
      } else {
        const file = localPath(source, baseDir)
        try {
          bytes = await readLocal(file)
        } catch (err) {
          const code = (err as NodeJS.ErrnoException).code
          const why = code === 'ENOENT' ? `file not found: ${file}` : err instanceof MediaTooBig ? err.message : `cannot read ${file}: ${(err as Error).message}`
          problems.push(at(path, `${what}: ${why}`))
          return
        }
      }
      const verdict = await contentProblem(bytes, as, fileNameOf(source))
      if (verdict.error) problems.push(at(path, `${what}: ${verdict.error}`))
      else if (verdict.warning) problems.push(at(path, `${what}: ${verdict.warning}`, 'warning'))
    }),
  )
  return problems
}
