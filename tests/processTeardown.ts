import { afterAll } from 'vitest'
import { stopTracked } from './helpers/processRegistry.js'

/**
 * After each test file (this setup file's afterAll runs after the file's own hooks): stop the
 * processes and servers its tests started and did not stop — a test that failed or timed out
 * half-way still leaves nothing running. The global teardown then checks that all are gone.
 */
afterAll(async () => {
  const left = await stopTracked()
  if (left.length > 0) console.warn(`stopped what the tests left running: ${left.join('; ')}`)
}, 20_000)
