import type { App } from '../../src/runtime/App.js'
import { waitFor } from './waitFor.js'

/**
 * Wait until the bot has read each room's member list once after its login (the Reconciler,
 * one room every 1–2 s) and recorded what it found. A test that compares a member's record
 * before and after something must start after this, or the read can land in between.
 */
export async function roomsListed(app: App, roomIds: string[], timeoutMs = 20_000): Promise<void> {
  await waitFor(() => roomIds.every((id) => app.engine.members.listedAt(id) !== undefined), { timeoutMs, what: `the member lists of ${roomIds.length} room(s) read once` })
  await app.engine.reconciler.idle()
}
