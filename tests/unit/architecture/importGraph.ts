import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, posix, relative, sep } from 'node:path'
import ts from 'typescript'

/*
 * The import map of siyu's own code and the rules it must keep (tests/unit/architecture/
 * imports.test.ts). Every import counts — values, `import type`, `export … from`, a dynamic
 * `import('…')`, `typeof import('…')` — because a type that points up is a design that points
 * up. The one sanctioned way for a higher part to add to a lower part's types is declaration
 * merging (`declare module '../engine/Skill.js'`), which is no import (the console adds
 * `console` to the Skill that way).
 */

/**
 * `src/` folders from the bottom up. A file may import its own folder and the folders of the
 * levels below; a folder of its own level or above is an import that climbs back up. A new
 * folder must be placed here (the test says so).
 */
export const LAYERS: readonly (readonly string[])[] = [
  ['clock', 'log', 'text', 'time'],
  ['store', 'config'],
  ['ai', 'members', 'inbox', 'send', 'ha'],
  // media: what one account sends (src/media: library, budget, sender); the config's media are config's
  ['engine', 'media'],
  ['console', 'sandbox'],
  ['runtime'],
  ['cli'],
  // the entry files directly in src/ (main.ts, check.ts) are above everything
]

/** The one list of built-in skills, and the only files of `src/` that may import it (the app, the schema writer, `siyu check`, `siyu init`). */
export const SKILL_LIST = 'skills/index.ts'
export const SKILL_LIST_READERS: ReadonlySet<string> = new Set(['src/runtime/App.ts', 'src/config/writeJsonSchema.ts', 'src/cli/runCheck.ts', 'src/cli/init.ts'])

/** Folders whose sub-folders are skills (one folder each): `skills/<name>/`, `examples/<name>/`. */
const SKILL_ROOTS = ['skills', 'examples']

export interface Import {
  from: string
  /** The imported file, relative to the root, `/`-separated. */
  to: string
  spec: string
  line: number
}

export interface ImportGraph {
  files: string[]
  imports: Import[]
  /** Relative specifiers that name no file. */
  unresolved: Import[]
}

/** Every `.ts` file under these folders of `root`, with the relative imports of each, resolved. */
export function readGraph(root: string, folders: readonly string[]): ImportGraph {
  const files = folders.flatMap((f) => (existsSync(join(root, f)) ? walk(root, join(root, f)) : []))
  return graphOf(new Map(files.map((f) => [f, readFileSync(join(root, f), 'utf8')])), (f) => existsSync(join(root, f)))
}

/** The graph of files given by their text (`exists` says whether a non-TS target exists, e.g. a `.json`). */
export function graphOf(sources: ReadonlyMap<string, string>, exists: (file: string) => boolean = () => false): ImportGraph {
  const imports: Import[] = []
  const unresolved: Import[] = []
  for (const [file, text] of sources) {
    for (const { spec, line } of specifiers(file, text)) {
      if (!spec.startsWith('.')) continue // a package
      const target = posix.normalize(posix.join(posix.dirname(file), spec))
      const asTs = target.replace(/\.js$/, '.ts')
      if (sources.has(asTs)) imports.push({ from: file, to: asTs, spec, line })
      else if (sources.has(target)) imports.push({ from: file, to: target, spec, line })
      else if (!exists(target)) unresolved.push({ from: file, to: target, spec, line })
    }
  }
  return { files: [...sources.keys()].sort(), imports, unresolved }
}

/** What breaks the rules, one line each (empty: all kept). */
export function violations(graph: ImportGraph): string[] {
  const out: string[] = []
  const at = (i: Import) => `${i.from}:${i.line} imports '${i.spec}'`
  for (const i of graph.unresolved) out.push(`${at(i)}, which names no file`)
  for (const i of graph.imports) {
    const problem = srcToSkills(i) ?? climbs(i) ?? intoAnotherSkill(i)
    if (problem) out.push(`${at(i)}: ${problem}`)
  }
  for (const cycle of cycles(graph)) out.push(`import cycle: ${cycle.join(' → ')}`)
  return out
}

/** `src/` knows no skill: only the app, the schema writer and the check read the list of built-in skills. */
function srcToSkills(i: Import): string | undefined {
  if (!i.from.startsWith('src/')) return undefined
  const root = i.to.split('/')[0]!
  if (!SKILL_ROOTS.includes(root)) return undefined
  if (i.to === SKILL_LIST && SKILL_LIST_READERS.has(i.from)) return undefined
  if (i.to === SKILL_LIST) return `only ${[...SKILL_LIST_READERS].join(', ')} read ${SKILL_LIST}; pass the skills in instead`
  return `src/ imports no skill (only ${SKILL_LIST}, from ${[...SKILL_LIST_READERS].join(', ')}); let the skill declare what the core needs (defineSkill fields, e.g. console)`
}

/** Within `src/`, imports go down the LAYERS. */
function climbs(i: Import): string | undefined {
  if (!i.from.startsWith('src/') || !i.to.startsWith('src/')) return undefined
  const from = folderOf(i.from)
  const to = folderOf(i.to)
  if (from === to) return undefined
  const a = levelOf(from)
  const b = levelOf(to)
  if (a === undefined) return `src/${from} is in no layer of tests/unit/architecture/importGraph.ts: place it`
  if (b === undefined) return `src/${to} is in no layer of tests/unit/architecture/importGraph.ts: place it`
  if (b < a) return undefined
  return b === a ? `src/${from} and src/${to} are on one level and import neither each other` : `src/${from} imports src/${to}, a level above it (an import that climbs back up)`
}

/** A skill uses `src/` and its own folder; of another skill, at most its `index.ts` (never its internals). */
function intoAnotherSkill(i: Import): string | undefined {
  const from = skillOf(i.from)
  const to = skillOf(i.to)
  if (to === undefined) return undefined
  if (i.from === SKILL_LIST) return i.to === `${to}/index.ts` ? undefined : `${SKILL_LIST} lists each skill's index.ts, not its internals`
  if (from === undefined || from === to) return undefined
  if (i.to === `${to}/index.ts`) return undefined
  return `${from} reaches into ${to}'s internals (${i.to}); use what ${to} exports from its index.ts, or what the core provides`
}

/** The import cycles, each as a path that starts and ends at one file. */
export function cycles(graph: ImportGraph): string[][] {
  const next = new Map<string, string[]>()
  for (const i of graph.imports) next.set(i.from, [...(next.get(i.from) ?? []), i.to])
  // Tarjan's strongly connected components; each with more than one file (or a file importing itself) holds a cycle
  let index = 0
  const indexOf = new Map<string, number>()
  const low = new Map<string, number>()
  const stack: string[] = []
  const onStack = new Set<string>()
  const found: string[][] = []
  const visit = (v: string): void => {
    indexOf.set(v, index)
    low.set(v, index++)
    stack.push(v)
    onStack.add(v)
    for (const w of next.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w)
        low.set(v, Math.min(low.get(v)!, low.get(w)!))
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, indexOf.get(w)!))
    }
    if (low.get(v) !== indexOf.get(v)) return
    const component = new Set<string>()
    let w: string
    do {
      w = stack.pop()!
      onStack.delete(w)
      component.add(w)
    } while (w !== v)
    if (component.size > 1 || next.get(v)?.includes(v)) found.push(pathWithin(component, next))
  }
  for (const f of graph.files) if (!indexOf.has(f)) visit(f)
  return found
}

/** One concrete cycle through a strongly connected component: the shortest way from its first file back to it. */
function pathWithin(component: Set<string>, next: Map<string, string[]>): string[] {
  const start = [...component].sort()[0]!
  const cameFrom = new Map<string, string>()
  const queue = [start]
  while (queue.length > 0) {
    const v = queue.shift()!
    for (const w of next.get(v) ?? []) {
      if (!component.has(w)) continue
      if (w === start) {
        const path = [start]
        for (let u = v; u !== start; u = cameFrom.get(u)!) path.splice(1, 0, u)
        return [...path, start]
      }
      if (!cameFrom.has(w)) {
        cameFrom.set(w, v)
        queue.push(w)
      }
    }
  }
  return [start, start]
}

/** The module specifiers of a file: import/export declarations, `import('…')`, `typeof import('…')`, `import x = require('…')`. */
function specifiers(file: string, text: string): Array<{ spec: string; line: number }> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true)
  const out: Array<{ spec: string; line: number }> = []
  const add = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) out.push({ spec: node.text, line: source.getLineAndCharacterOfPosition(node.getStart()).line + 1 })
  }
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier)
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) add(node.arguments[0])
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal)
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) add(node.moduleReference.expression)
    ts.forEachChild(node, visit)
  }
  visit(source)
  return out
}

function folderOf(file: string): string {
  const parts = file.split('/')
  return parts.length > 2 ? parts[1]! : '' // '' : a file directly in src/ (main.ts, check.ts)
}

function levelOf(folder: string): number | undefined {
  if (folder === '') return LAYERS.length
  const i = LAYERS.findIndex((level) => level.includes(folder))
  return i < 0 ? undefined : i
}

/** `skills/shop` for `skills/shop/console/index.ts`; undefined outside a skill's folder (and for skills/index.ts). */
function skillOf(file: string): string | undefined {
  const parts = file.split('/')
  return SKILL_ROOTS.includes(parts[0]!) && parts.length > 2 ? `${parts[0]}/${parts[1]}` : undefined
}

function walk(root: string, dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return name === 'node_modules' ? [] : walk(root, path)
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [relative(root, path).split(sep).join('/')] : []
  })
}

