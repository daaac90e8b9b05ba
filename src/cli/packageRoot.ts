import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

let root: string | undefined

/**
 * The folder of siyu's own package.json, found upwards from this file: `src/cli/` under tsx
 * (a clone, the tests) and `dist/src/cli/` when compiled (`node_modules/siyu/dist/…` when
 * installed) both reach it. The files the commands read from the package (the JSON schema,
 * package.json) are named relative to it.
 */
export function packageRoot(): string {
  if (root) return root
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const file = join(dir, 'package.json')
    if (existsSync(file) && (JSON.parse(readFileSync(file, 'utf8')) as { name?: string }).name === 'siyu') return (root = dir)
    const up = dirname(dir)
    if (up === dir) throw new Error(`siyu: cannot find siyu's package.json above ${fileURLToPath(import.meta.url)}`)
    dir = up
  }
}

/** A file of the package, e.g. `config/siyu.schema.json`. */
export function packageFile(relativePath: string): string {
  return join(packageRoot(), relativePath)
}
