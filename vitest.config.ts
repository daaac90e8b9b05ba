import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    env: { WECHATY_LOG: 'silent', LOG_LEVEL: 'silent' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // end-to-end files start real processes and gRPC servers; two cores, so keep it modest
    maxWorkers: 2,
  },
})
