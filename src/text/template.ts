import { z } from 'zod'
import { isMediaMark, isMention, type MediaMark, type MessageBreak, type Segment } from './Outgoing.js'

/**
 * Operator templates are plain `{var}` substitution, never a template engine: nothing in a
 * config can run code or reach data it was not handed. `{names}`-style values that are lists
 * of members become real @mentions.
 */
export interface Template {
  readonly source: string
  /**
   * Texts and `{var}` placeholders; a reply given as a list (src/config/reply.ts) also has
   * its media items and the breaks between its texts.
   */
  readonly parts: ReadonlyArray<string | { v: string } | MediaMark | MessageBreak>
}

/** A value for a placeholder: a text, a number, or segments (mentions; a rendered reply with media). */
export type TemplateValue = string | number | readonly Segment[]

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
  return t.parts.some((p) => typeof p !== 'string' && 'v' in p && p.v === name)
}

/** The media items a template sends (a reply given as a list), in order. */
export function mediaOf(t: Template): string[] {
  return t.parts.flatMap((p) => (typeof p !== 'string' && 'media' in p ? [p.media] : []))
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
    if (!('v' in p)) {
      out.push(p)
      continue
    }
    const v = Object.hasOwn(vars, p.v) ? vars[p.v] : undefined
    if (Array.isArray(v)) for (const seg of v as Segment[]) typeof seg === 'string' ? text(seg) : out.push(seg)
    else text(v === undefined ? '' : String(v))
  }
  return out
}

/** Render to plain text (mentions as `@name`), for logs and places without mentions. */
export function renderText(t: Template, vars: Readonly<Record<string, TemplateValue | undefined>>): string {
  return render(t, vars)
    .map((s) => (typeof s === 'string' ? s : isMention(s) ? `@${s.name}` : isMediaMark(s) ? `[${s.media}]` : '\n'))
    .join('')
}

/**
 * The schema type of a template field: checks at load that every `{var}` is one this field
 * offers, and names the known ones in the error.
 */
export function template(vars: readonly string[], description?: string) {
  return z
    .string({ error: 'expected a text template' })
    .superRefine((s, ctx) => checkPlaceholders(s, vars, ctx))
    .transform(parseTemplate)
    .meta({ description: `${description ? description + ' ' : ''}Variables: ${vars.map((v) => `{${v}}`).join(' ')}` })
}

/** Every `{var}` of `s` must be one of `vars` (an issue at `path` for each that is not). */
export function checkPlaceholders(s: string, vars: readonly string[], ctx: z.RefinementCtx, path: Array<string | number> = []): void {
  for (const name of placeholders(s)) {
    if (!vars.includes(name)) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: `unknown template variable {${name}}; this template knows ${vars.map((v) => `{${v}}`).join(', ') || 'no variables'}`,
        params: { find: `{${name}}` },
      })
    }
  }
}
