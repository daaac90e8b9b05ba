import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alive, kill, readRecords, RUN_DIR_ENV } from './helpers/processRegistry.js'

/**
 * What `npm start`, `npm run check|backup|restore` and the deployment recipes run is the
 * compiled dist/ (`npm install` builds it). A test of them must not run a dist/ older than the
 * source being tested: rebuild (incrementally) when any file of src/ or skills/ is newer.
 */
function buildDistIfStale(root: string): void {
  const built = (() => {
    try {
      return statSync(join(root, 'dist', '.tsbuildinfo')).mtimeMs
    } catch {
      return 0
    }
  })()
  const stale = ['src', 'skills', 'tsconfig.json', 'tsconfig.build.json', 'scripts/build.mjs'].some((top) => {
    const path = join(root, top)
    if (!statSync(path).isDirectory()) return statSync(path).mtimeMs > built
    return readdirSync(path, { recursive: true, withFileTypes: true }).some((e) => e.isFile() && statSync(join(e.parentPath, e.name)).mtimeMs > built)
  })
  if (!stale) return
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { cwd: root, stdio: 'inherit' })
  if (r.status !== 0) throw new Error('npm run build failed: the tests that run dist/ cannot run')
}

/**
 * `npm test` leaves nothing running. Every process a test starts is recorded under this run's
 * temporary folder (tests/helpers/processRegistry.ts); at the end of the run any of them still
 * alive — or any process left in a group one of them led — is killed, listed, and the run
 * FAILS. (Vitest only reports an error thrown here; the exit code is set explicitly.)
 */
export default function setup(): () => Promise<void> {
  buildDistIfStale(process.cwd())
  const dir = mkdtempSync(join(tmpdir(), 'siyu-test-run-'))
  process.env[RUN_DIR_ENV] = dir // the workers are started after this and inherit it

  return async function teardown(): Promise<void> {
    const leftovers = readRecords(dir).flatMap((r) => {
      const pids = alive(r)
      if (pids.length === 0) return []
      kill(r)
      return [`${r.what}: pid ${pids.join(', ')}`]
    })
    rmSync(dir, { recursive: true, force: true })
    if (leftovers.length > 0) {
      console.error(`\nnpm test left ${leftovers.length} process(es) running; killed them now:\n  ${leftovers.join('\n  ')}\n`)
      process.exitCode = 1
    }
  }
}
