/**
 * `defaults.skills` deep-merged under a group's `skills`: maps merge key by key, anything
 * else (lists, texts, numbers, `false`) from the group replaces the default.
 */
export function deepMerge(base: unknown, over: unknown): unknown {
  if (over === undefined) return clone(base)
  if (isPlainObject(base) && isPlainObject(over)) {
    const out: Record<string, unknown> = {}
    for (const k of Object.keys(base)) out[k] = clone(base[k])
    for (const [k, v] of Object.entries(over)) out[k] = k in out ? deepMerge(out[k], v) : clone(v)
    return out
  }
  return clone(over)
}

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function clone<T>(v: T): T {
  return v === undefined ? v : structuredClone(v)
}
