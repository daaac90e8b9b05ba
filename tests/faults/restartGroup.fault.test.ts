import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotWorld } from '../helpers/BotWorld.js'
import { CHECKIN_ONLY_CONFIG, withPoints } from '../helpers/checkinData.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = CHECKIN_ONLY_CONFIG
const ROUNDS = 20
const MEMBERS_PER_ROUND = 5

/**
 * Issue 8 point 1, as a process manager restarts the bot (systemd Restart=always, Docker
 * --restart=always): `npm start` in a process group of its own, the WHOLE group killed with
 * SIGKILL, and a new `npm start` within 100 ms — 20 times. Every restart must come up (the old
 * process's lock never blocks it: exit 3 fails the test) and keep every acknowledged check-in.
 */
describe('fault: kill -9 the process group of npm start and start again at once, 20 times', () => {
  let world: BotWorld

  beforeAll(async () => {
    world = await BotWorld.create('npmgroup', CONFIG)
  })
  afterAll(async () => world?.close())

  it('every restart comes up, and every acknowledged check-in is there', async () => {
    const svc = world.svc
    const room = svc.room('粉丝1群', [])
    const acknowledged = new Set<string>()
    let bot = await world.startBot({ npm: true, ready: false })
    for (let round = 0; round < ROUNDS; round++) {
      const exitedEarly = bot.exited.then((code) => `exited with ${code}: ${bot.stderr.join(' | ')}`)
      const up = await Promise.race([bot.ready().then(() => 'ready'), exitedEarly])
      expect(up, `restart ${round}`).toBe('ready')

      const from = svc.said.length
      const members = Array.from({ length: MEMBERS_PER_ROUND }, (_, i) => svc.contact(`g${round}m${i}`, `wxid_g${round}m${i}`))
      room.payload.memberIdList.push(...members.map((m) => m.id))
      for (const m of members) m.say('签到').to(room)
      // confirmations of a burst may be merged into one message: count lines
      const confirmations = () =>
        svc.said
          .slice(from)
          .filter((s) => s.roomId === room.id)
          .flatMap((s) => s.text.split('\n'))
          .filter((line) => line.includes('签到成功'))
      await waitFor(() => confirmations().length >= MEMBERS_PER_ROUND, { timeoutMs: 20_000, what: `round ${round} check-ins answered` })
      for (const line of confirmations()) acknowledged.add(line.split(' ')[0]!)

      bot.killGroup('SIGKILL')
      // the new start is issued at once, nothing awaited in between: the old group may still be
      // dying while the new one takes the data-dir lock (a timed assertion here measured only the
      // machine's load)
      bot = await world.startBot({ npm: true, ready: false })
    }
    await bot.ready()
    expect(await bot.stop()).toBe(0)
    expect(bot.groupAlive()).toBe(false)

    expect(acknowledged.size).toBe(ROUNDS * MEMBERS_PER_ROUND)
    await withPoints(world.dataDir, (book) => {
      for (const name of acknowledged) expect(book.get(`wxid_${name}`)?.total, name).toBe(10)
    })
  }, 900_000)
})
