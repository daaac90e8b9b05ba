import { closest, distance } from 'fastest-levenshtein'
import type { z } from 'zod'

export interface FlatIssue {
  path: Array<string | number>
  message: string
  /** Point at the key rather than the value (unknown keys). */
  atKey?: boolean
  /** Text to look for inside the value (a template placeholder). */
  find?: string
}

/** Zod's issues as one message each, with unknown keys split per key and given a suggestion. */
export function flattenIssues(issues: readonly z.core.$ZodIssue[], schema: z.ZodType): FlatIssue[] {
  const out: FlatIssue[] = []
  for (const issue of issues) {
    const path = issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))
    if (issue.code === 'unrecognized_keys') {
      const known = knownKeysAt(schema, path)
      for (const key of issue.keys) {
        out.push({ path: [...path, key], atKey: true, message: `unknown key "${key}"${suggest(key, known)}` })
      }
    } else if (issue.code === 'invalid_union' && issue.errors.length > 0 && Math.max(...issue.errors.map(depth)) > 0) {
      // the value had the shape of one branch (a map for the object branch): its issues say
      // what is wrong better than "not any of these"
      const best = [...issue.errors].sort((a, b) => depth(b) - depth(a))[0] ?? []
      out.push(...flattenIssues(best.map((i) => ({ ...i, path: [...path, ...i.path] })), schema))
    } else {
      const params = (issue as { params?: { find?: string } }).params
      out.push({ path, message: friendly(issue), find: params?.find })
    }
  }
  return out
}

function depth(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(0, ...issues.map((i) => i.path.length))
}

function friendly(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && /^Invalid input: expected/.test(issue.message)) {
    const got = (issue as { input?: unknown }).input
    const what = got === undefined ? 'nothing' : got === null ? 'an empty value' : Array.isArray(got) ? 'a list' : typeof got
    return `expected ${issue.expected}, got ${what}`
  }
  return issue.message
}

export function suggest(key: string, known: readonly string[]): string {
  if (known.length === 0) return ''
  const best = closest(key, [...known])
  const near = distance(key.toLowerCase(), best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3))
  return near ? ` (did you mean "${best}"?)` : `; known keys: ${known.join(', ')}`
}

/** The keys an object schema at `path` accepts (best effort over wrappers and unions). */
export function knownKeysAt(schema: z.ZodType, path: ReadonlyArray<string | number>): string[] {
  let nodes: unknown[] = [schema]
  for (const seg of path) nodes = nodes.flatMap((n) => childOf(n, seg))
  return [...new Set(nodes.flatMap((n) => Object.keys(shapeOf(n) ?? {})))]
}

type Def = { type: string; shape?: Record<string, unknown>; innerType?: unknown; in?: unknown; element?: unknown; options?: unknown[]; valueType?: unknown }

function defOf(n: unknown): Def | undefined {
  return (n as { _zod?: { def?: Def } })?._zod?.def
}

function unwrap(n: unknown): unknown[] {
  const d = defOf(n)
  if (!d) return []
  if (['optional', 'default', 'nullable', 'prefault', 'readonly', 'catch', 'nonoptional'].includes(d.type)) return unwrap(d.innerType)
  if (d.type === 'pipe') return unwrap(d.in)
  if (d.type === 'union') return (d.options ?? []).flatMap(unwrap)
  return [n]
}

function shapeOf(n: unknown): Record<string, unknown> | undefined {
  for (const u of unwrap(n)) {
    const d = defOf(u)
    if (d?.type === 'object' && d.shape) return d.shape
  }
  return undefined
}

function childOf(n: unknown, seg: string | number): unknown[] {
  const out: unknown[] = []
  for (const u of unwrap(n)) {
    const d = defOf(u)
    if (d?.type === 'object' && typeof seg === 'string' && d.shape?.[seg]) out.push(d.shape[seg])
    if (d?.type === 'array' && typeof seg === 'number') out.push(d.element)
    if (d?.type === 'record') out.push(d.valueType)
  }
  return out
}
