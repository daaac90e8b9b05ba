#!/usr/bin/env node
// `npm run build`, also `prepare` (npm runs it on `npm install`/`npm ci` of a clone and before
// `npm pack`): tsc compiles src/ and skills/ into dist/, then every file of theirs that is not
// TypeScript (the console's web/ page, the skills' console pages, their READMEs) is copied to
// the same place under dist/, where the compiled code looks for it (next to itself, through
// import.meta.url) — so a path that works from src/ under tsx works from dist/ unchanged.
// Plain JavaScript: it runs before anything is compiled and needs only typescript.
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, readdirSync, rmSync, utimesSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const dist = join(root, 'dist')

let tsc
try {
  tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc')
} catch {
  // `npm ci --omit=dev` (or NODE_ENV=production) of a clone: npm still runs prepare, but the
  // compiler is a dev dependency. A dist/ built before is kept; without one, say what to do.
  if (existsSync(join(dist, 'src', 'cli', 'siyu.js'))) {
    console.error('siyu build: typescript is not installed (--omit=dev); keeping the dist/ that is there')
    process.exit(0)
  }
  console.error('siyu build: dist/ needs typescript, a dev dependency. Install everything, then drop the dev dependencies:\n  npm ci && npm prune --omit=dev')
  process.exit(1)
}

// a dist/ whose build info survived but whose files were deleted would not be rebuilt by an
// incremental tsc: start afresh whenever the entry point is missing
if (!existsSync(join(dist, 'src', 'cli', 'siyu.js'))) rmSync(dist, { recursive: true, force: true })
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], { stdio: 'inherit' })
if (r.status !== 0) process.exit(r.status ?? 1)

// what a renamed or deleted source left behind would still be loadable from dist/: remove it
const compiled = /\.(d\.ts|js\.map|js)$/
for (const top of ['src', 'skills']) {
  if (!existsSync(join(dist, top))) continue
  for (const entry of readdirSync(join(dist, top), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue
    const built = relative(dist, join(entry.parentPath, entry.name))
    const source = join(root, built)
    const fromTs = compiled.test(built) && existsSync(source.replace(compiled, '.ts'))
    if (!fromTs && !existsSync(source)) rmSync(join(dist, built))
  }
}

let copied = 0
for (const top of ['src', 'skills']) {
  for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith('.ts')) continue
    const from = join(entry.parentPath, entry.name)
    cpSync(from, join(dist, relative(root, from)))
    copied++
  }
}
// the build's time stamp (tests/globalSetup.ts rebuilds when a source is newer): an incremental
// tsc that found nothing to do leaves its build info as it was
const now = new Date()
utimesSync(join(dist, '.tsbuildinfo'), now, now)
console.error(`siyu build: dist/ compiled, ${copied} asset files copied`)
