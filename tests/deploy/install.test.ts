import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

/**
 * A new user's `npm install` reaches the npm registry and nothing else (issue 18): no
 * dependency may need an install script (node-gyp downloads Node's headers from nodejs.org;
 * a postinstall that fetches a binary fails the same way). `.ci/run` proves the install itself
 * with an empty HOME; this catches the lock file drifting before CI runs.
 */
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { hasInstallScript?: boolean; engines?: { node?: string } }> }
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean>; engines: { node: string } }

describe('the install needs the npm registry alone', () => {
  it('every dependency with an install script has it denied in allowScripts (none runs)', () => {
    const withScripts = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.hasInstallScript)
      .map(([path]) => path.replace(/^.*node_modules\//, ''))
    const allowed = withScripts.filter((name) => pkg.allowScripts?.[name] !== false)
    expect(allowed).toEqual([])
    expect(Object.entries(pkg.allowScripts ?? {}).filter(([, v]) => v !== false)).toEqual([])
  })

  it('the data-dir lock is a prebuilt N-API addon that loads here (no compiler was involved)', () => {
    const require = createRequire(import.meta.url)
    const dir = require.resolve('fs-native-extensions/package.json').replace(/package\.json$/, '')
    // the binary shipped inside the npm package for this platform, not one built at install
    expect(readFileSync(`${dir}prebuilds/${process.platform}-${process.arch}/fs-native-extensions.node`).length).toBeGreaterThan(0)
    expect(typeof (require('fs-native-extensions') as { tryLock: unknown }).tryLock).toBe('function')
  })

  it('no dependency asks for a newer Node than package.json engines promises (no EBADENGINE at install)', () => {
    // the lowest Node line we promise; a dependency whose `engines` excludes it warns at install
    const lowest = /\^?(\d+)\.(\d+)/.exec(pkg.engines.node)!
    const [major, minor] = [Number(lowest[1]), Number(lowest[2])]
    const tooNew = Object.entries(lock.packages)
      .filter(([path, p]) => path !== '' && p.engines?.node !== undefined)
      .filter(([, p]) => {
        const m = /^>=\s*(\d+)(?:\.(\d+))?/.exec(p.engines!.node!.trim())
        return m !== null && (Number(m[1]) > major || (Number(m[1]) === major && Number(m[2] ?? 0) > minor))
      })
      .map(([path, p]) => `${path.replace(/^.*node_modules\//, '')} wants node ${p.engines!.node}`)
    expect(tooNew).toEqual([])
  })
})
