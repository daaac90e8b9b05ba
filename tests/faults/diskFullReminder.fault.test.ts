import { DateTime } from 'luxon'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { Delivery } from '../../skills/live/Deliveries.js'
import { LiveSkill } from '../../skills/live/index.js'
import { FakeClock } from '../../src/clock/FakeClock.js'
import { FileAdapter } from '../../src/store/FileAdapter.js'
import { FaultyFs } from '../helpers/FaultyFs.js'
import { harness } from '../helpers/harness.js'
import { tempDir } from '../helpers/tmp.js'

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const CONFIG = `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: sisley
    match: { topic: "希思黎*" }
    skills:
      live:
        lives: [{ id: d11, title: 双11返场直播, start: "2026-11-25 20:00" }]
        remind: [1h]
`

/**
 * Issue 15 point 9: a reminder whose delivery record cannot be saved (the disk is full when it
 * falls due) is sent once space returns — within the 10-minute rule — and skipped after it.
 */
describe('fault: a reminder falls due while the disk is full', () => {
  let dir: string
  let cleanup: () => Promise<void>
  let adapter: FileAdapter
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-fullremind-'))
  })
  afterEach(async () => {
    await adapter.abandon()
    await cleanup()
  })

  async function boot() {
    const fs = new FaultyFs()
    const clock = new FakeClock(sh('2026-11-25 18:30:00'))
    adapter = new FileAdapter(dir, { fs, checkpointMs: 3_600_000 })
    const h = await harness(CONFIG, { skills: [LiveSkill], clock, adapter })
    const room = h.room('希思黎1群', 'room1@chatroom')
    await h.flush()
    const reminders = () => h.sent.filter((s) => s.to === room.id && s.text.startsWith('【直播预告】'))
    return { fs, clock, h, reminders }
  }

  it('is sent once when space returns within 10 minutes of its time', async () => {
    const { fs, clock, h, reminders } = await boot()
    fs.spaceLeft = 0
    await clock.advanceTo(sh('2026-11-25 19:00:00')) // due: its record cannot be written
    await until(() => !h.store.health().writable)
    for (let m = 1; m <= 6; m++) await retryFailsAt(h, clock, sh('2026-11-25 19:00:00') + m * 60_000)
    expect(reminders()).toEqual([]) // never said before it is stored
    fs.spaceLeft = undefined
    await clock.advance(1_000) // the next retry finds space
    await until(() => reminders().length > 0)
    await clock.advance(60_000)
    await h.store.durable()
    expect(reminders()).toHaveLength(1)
    expect(reminders()[0]!.at).toBeGreaterThan(sh('2026-11-25 19:06:00'))
    const sends = h.store.keys('live/').filter((k) => k.includes('/sends/'))
    expect(sends.map((k) => (h.store.get(k) as unknown as Delivery).parts)).toEqual([['sent']])
  })

  it('is skipped, not sent late, when space returns more than 10 minutes after its time', async () => {
    const { fs, clock, h, reminders } = await boot()
    fs.spaceLeft = 0
    await clock.advanceTo(sh('2026-11-25 19:00:00'))
    await until(() => !h.store.health().writable)
    for (let m = 1; m <= 12; m++) await retryFailsAt(h, clock, sh('2026-11-25 19:00:00') + m * 60_000)
    fs.spaceLeft = undefined
    await clock.advance(1_000)
    await until(() => h.store.health().writable)
    await clock.advance(60_000)
    await h.store.durable()
    expect(reminders()).toEqual([])
    const sends = h.store.keys('live/').filter((k) => k.includes('/sends/'))
    expect(sends.map((k) => (h.store.get(k) as unknown as Delivery).parts)).toEqual([['skipped']])
  })
})

/** Move the clock to `at` and wait until the store's retry there has failed (a full disk). */
async function retryFailsAt(h: { store: { health(): { failedCommits: number } } }, clock: FakeClock, at: number): Promise<void> {
  const before = h.store.health().failedCommits
  await clock.advanceTo(at)
  await until(() => h.store.health().failedCommits > before)
}

async function until(probe: () => boolean): Promise<void> {
  const deadline = Date.now() + 5_000
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await new Promise((r) => setTimeout(r, 2))
  }
}
