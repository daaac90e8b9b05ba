import { spawn } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { CHECKIN_ONLY_CONFIG, withPoints } from '../helpers/checkinData.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = CHECKIN_ONLY_CONFIG
const MEMBERS = 80

/** `npm run <script> -- args` as an operator types it; resolves with the exit code and output. */
function npmRun(script: string, args: string[], env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', '--silent', script, '--', ...args], { env: { PATH: process.env.PATH!, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (d: Buffer) => (out += d.toString()))
    child.stderr.on('data', (d: Buffer) => (out += d.toString()))
    child.on('exit', (code) => resolve({ code, out }))
  })
}

/**
 * Issue 14 point 3: a backup taken in the middle of a check-in burst, by the real bot process,
 * restored into a new dir, starts, and holds every check-in confirmed before the backup began.
 */
describe('fault: backup during a check-in burst, restore, start', () => {
  let world: BotWorld
  let restoredBot: BotProcess | undefined
  beforeAll(async () => {
    world = await BotWorld.create('backup', CONFIG)
  })
  afterAll(async () => {
    await restoredBot?.stop().catch(() => {})
    await world?.close()
  })

  it('every check-in confirmed before the backup started is in the restored data, and it starts', async () => {
    const { svc } = world
    const room = svc.room('粉丝1群', [])
    const bot = await world.startBot()
    const confirmed = () =>
      new Set(
        svc.said
          .filter((s) => s.roomId === room.id)
          .flatMap((s) => s.text.split('\n'))
          .filter((l) => l.includes('签到成功'))
          .map((l) => l.split(' ')[0]!),
      )
    const members = Array.from({ length: MEMBERS }, (_, i) => svc.contact(`b${i}`, `wxid_b${i}`))
    room.payload.memberIdList.push(...members.map((m) => m.id))
    const timers = members.map((m, i) => setTimeout(() => m.say('签到').to(room), i * 20))
    await waitFor(() => confirmed().size >= MEMBERS / 4, { timeoutMs: 20_000, what: 'a quarter of the burst confirmed' })

    const before = confirmed()
    const file = join(world.dir, 'siyu-backup.tar.gz')
    const made = await npmRun('backup', ['--data', world.dataDir, '--to', file], { HOME: world.dir })
    expect(made, made.out).toMatchObject({ code: 0 })
    await waitFor(() => confirmed().size === MEMBERS, { timeoutMs: 30_000, what: 'the whole burst confirmed' })
    timers.forEach(clearTimeout)
    expect(before.size).toBeLessThan(MEMBERS) // the backup was taken inside the burst
    expect(await bot.stop()).toBe(0)

    const restored = join(world.dir, 'restored')
    const back = await npmRun('restore', ['--from', file, '--data', restored], { HOME: world.dir })
    expect(back, back.out).toMatchObject({ code: 0 })

    // the bot starts on it (nothing corrupt) and stops cleanly
    restoredBot = new BotProcess({ config: world.configPath, data: restored, env: svc.env(), home: world.dir })
    await restoredBot.ready()
    expect(await restoredBot.stop()).toBe(0)

    await withPoints(restored, (book) => {
      for (const name of before) expect(book.get(`wxid_${name}`)?.total, name).toBe(10)
      for (const [id, total] of book.recomputeTotals()) expect(book.get(id)?.total).toBe(total)
    })
  }, 180_000)
})
