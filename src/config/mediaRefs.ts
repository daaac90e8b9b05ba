import { isPlainObject } from './merge.js'
import type { Path } from './YamlSource.js'

/**
 * Every `{ media: <name> }` in a raw config value, with its path: the reply items that name an
 * item of the top-level `media:`. Found in the raw YAML (not the parsed skills' configs) so
 * that an unknown name is reported where the operator wrote it, whatever the skill made of it.
 */
export function mediaRefsIn(value: unknown, path: Path = []): Array<{ path: Path; name: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => mediaRefsIn(v, [...path, i]))
  if (!isPlainObject(value)) return []
  const keys = Object.keys(value)
  if (keys.length === 1 && keys[0] === 'media' && typeof value.media === 'string') return [{ path: [...path, 'media'], name: value.media.trim() }]
  return keys.flatMap((k) => mediaRefsIn(value[k], [...path, k]))
}
