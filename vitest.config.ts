import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    env: { WECHATY_LOG: 'silent', LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // end-to-end files start real processes and gRPC servers; two cores, so keep it modest
    maxWorkers: 2,
    // nothing a test starts outlives the run: stopped per file, checked (and failed) at the end
    globalSetup: ['tests/globalSetup.ts'],
    setupFiles: ['tests/processTeardown.ts'],
  },
})
