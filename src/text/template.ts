import { z } from 'zod'
import type { Mention, Segment } from './Outgoing.js'

/**
 * Operator templates are plain `{var}` substitution, never a template engine: nothing in a
 * config can run code or reach data it was not handed. `{names}`-style values that are lists
 * of members become real @mentions.
 */
export interface Template {
  readonly source: string
  readonly parts: ReadonlyArray<string | { v: string }>
}

export type TemplateValue = string | number | readonly Mention[]

const PLACEHOLDER = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g

export function parseTemplate(source: string): Template {
  const parts: Array<string | { v: string }> = []
  let last = 0
  for (const m of source.matchAll(PLACEHOLDER)) {
    if (m.index > last) parts.push(source.slice(last, m.index))
    parts.push({ v: m[1]! })
    last = m.index + m[0].length
  }
  if (last < source.length) parts.push(source.slice(last))
  return { source, parts }
}

/** Does the template show `{name}`? (So a costly value is computed only when shown.) */
export function uses(t: Template, name: string): boolean {
  return t.parts.some((p) => typeof p !== 'string' && p.v === name)
}

export function placeholders(source: string): string[] {
  return [...source.matchAll(PLACEHOLDER)].map((m) => m[1]!)
}

export function render(t: Template, vars: Readonly<Record<string, TemplateValue | undefined>>): Segment[] {
  const out: Segment[] = []
  const text = (s: string): void => {
    const prev = out[out.length - 1]
    if (typeof prev === 'string') out[out.length - 1] = prev + s
    else out.push(s)
  }
  for (const p of t.parts) {
    if (typeof p === 'string') {
      text(p)
      continue
    }
    const v = Object.hasOwn(vars, p.v) ? vars[p.v] : undefined
    if (Array.isArray(v)) out.push(...(v as Mention[]))
    else text(v === undefined ? '' : String(v))
  }
  return out
}

/** Render to plain text (mentions as `@name`), for logs and places without mentions. */
export function renderText(t: Template, vars: Readonly<Record<string, TemplateValue | undefined>>): string {
  return render(t, vars)
    .map((s) => (typeof s === 'string' ? s : `@${s.name}`))
    .join('')
}

/**
 * The schema type of a template field: checks at load that every `{var}` is one this field
 * offers, and names the known ones in the error.
 */
export function template(vars: readonly string[], description?: string) {
  return z
    .string({ error: 'expected a text template' })
    .superRefine((s, ctx) => {
      for (const name of placeholders(s)) {
        if (!vars.includes(name)) {
          ctx.addIssue({
            code: 'custom',
            message: `unknown template variable {${name}}; this template knows ${vars.map((v) => `{${v}}`).join(', ') || 'no variables'}`,
            params: { find: `{${name}}` },
          })
        }
      }
    })
    .transform(parseTemplate)
    .meta({ description: `${description ? description + ' ' : ''}Variables: ${vars.map((v) => `{${v}}`).join(' ')}` })
}
