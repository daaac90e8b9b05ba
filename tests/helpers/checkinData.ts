import { PointsBook } from '../../src/members/PointsBook.js'
import { FileAdapter } from '../../src/store/FileAdapter.js'
import { Store } from '../../src/store/Store.js'

/** The smallest world for the crash tests: one group, check-ins into pool `fans`, no rate limit. */
export const CHECKIN_ONLY_CONFIG = `bot:
  admins: [wxid_boss]
  rateLimit: false
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: fans }
`

/**
 * Open a data dir as the bot would (every file loaded and checked: a corrupt one throws), hand
 * `look` the pool's points, then close it. The bot must be stopped.
 */
export async function withPoints<T>(dataDir: string, look: (book: PointsBook) => T, pool = 'fans'): Promise<T> {
  const adapter = new FileAdapter(dataDir)
  await adapter.open()
  const store = new Store(adapter)
  try {
    return look(new PointsBook(await store.open(`checkin/pool:${pool}/`)))
  } finally {
    await store.close()
  }
}
