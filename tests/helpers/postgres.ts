import { afterAll, beforeAll } from 'vitest'
import { startPostgres, type PgCluster } from './pgCluster.js'

export { pgAvailability, postgresAvailable, startPostgres, type PgCluster } from './pgCluster.js'

/**
 * One cluster for a whole test file: started before its tests, destroyed after (also when they
 * fail). Use inside `describe.runIf(postgresAvailable())`.
 */
export function usePostgres(opts: { fsync?: boolean } = {}): { readonly cluster: PgCluster } {
  let cluster: PgCluster | undefined
  beforeAll(async () => {
    cluster = await startPostgres(opts)
  }, 120_000)
  afterAll(async () => cluster?.destroy(), 60_000)
  return {
    get cluster() {
      if (!cluster) throw new Error('the PostgreSQL cluster is started in beforeAll')
      return cluster
    },
  }
}
