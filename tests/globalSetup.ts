import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { alive, kill, readRecords, RUN_DIR_ENV } from './helpers/processRegistry.js'

/**
 * `npm test` leaves nothing running. Every process a test starts is recorded under this run's
 * temporary folder (tests/helpers/processRegistry.ts); at the end of the run any of them still
 * alive — or any process left in a group one of them led — is killed, listed, and the run
 * FAILS. (Vitest only reports an error thrown here; the exit code is set explicitly.)
 */
export default function setup(): () => Promise<void> {
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
