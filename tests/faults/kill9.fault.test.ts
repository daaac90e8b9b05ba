import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotWorld } from '../helpers/BotWorld.js'
import { CHECKIN_ONLY_CONFIG, withPoints } from '../helpers/checkinData.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = CHECKIN_ONLY_CONFIG
const ROUNDS = 20
const MEMBERS_PER_ROUND = 25

describe('fault: kill -9 during a check-in burst, 20 times', () => {
  let world: BotWorld

  beforeAll(async () => {
    world = await BotWorld.create('kill9', CONFIG)
  })
  afterAll(async () => world?.close())

  it('loses no acknowledged check-in, corrupts nothing, counts nothing twice', async () => {
    const svc = world.svc
    const start = () => world.startBot({ ready: false })
    const acknowledged = new Set<string>() // member names the bot confirmed
    const everyone: string[] = []
    const room = svc.room('粉丝1群', [])
    const confirmedIn = (from: number) =>
      svc.said
        .slice(from)
        .filter((s) => s.roomId === room.id)
        .flatMap((s) => s.text.split('\n'))

    let bot = await start()
    let interrupted = 0 // rounds where the kill cut the burst short
    for (let round = 0; round < ROUNDS; round++) {
      await bot.ready()
      // whoever was confirmed before must be known now: "already", never a second success
      const checkFrom = svc.said.length
      const previous = [...everyone]
      for (const name of previous) svc.mocker.ContactMock.load(idOf(name)).say('签到').to(room)
      await waitFor(() => confirmedIn(checkFrom).length >= previous.length, { timeoutMs: 20_000, what: `answers to ${previous.length} repeat check-ins` })
      for (const line of confirmedIn(checkFrom)) {
        const name = line.split(' ')[0]!
        if (acknowledged.has(name)) expect(line).toContain('今天已签到')
        if (line.includes('签到成功')) acknowledged.add(name)
      }

      // a fresh burst, and a kill -9 somewhere inside it
      const burstFrom = svc.said.length
      const members = Array.from({ length: MEMBERS_PER_ROUND }, (_, i) => svc.contact(`r${round}m${i}`, idOf(`r${round}m${i}`)))
      everyone.push(...members.map((m) => m.payload.name))
      room.payload.memberIdList.push(...members.map((m) => m.id))
      // the burst arrives over ~250 ms (a check-in every 10 ms); the kill lands at a random moment of it
      const timers = members.map((m, i) => setTimeout(() => m.say('签到').to(room), i * 10))
      await new Promise((r) => setTimeout(r, Math.random() * MEMBERS_PER_ROUND * 10))
      bot.kill('SIGKILL')
      await new Promise((r) => setTimeout(r, MEMBERS_PER_ROUND * 10))
      timers.forEach(clearTimeout)
      await bot.exited
      const confirmed = confirmedIn(burstFrom).filter((l) => l.includes('签到成功'))
      for (const line of confirmed) acknowledged.add(line.split(' ')[0]!)
      if (confirmed.length < MEMBERS_PER_ROUND) interrupted++
      bot = await start()
    }
    await bot.ready()
    expect(await bot.stop()).toBe(0)

    // the data directory opens (nothing corrupt) and holds every acknowledged check-in once
    await withPoints(world.dataDir, (book) => {
      for (const name of acknowledged) expect(book.get(idOf(name))?.total, name).toBe(10)
      const perMember = new Map<string, number>()
      for (const e of book.ledger()) perMember.set(e.member, (perMember.get(e.member) ?? 0) + 1)
      expect([...perMember.values()].every((n) => n === 1)).toBe(true)
      for (const [id, total] of book.recomputeTotals()) expect(book.get(id)?.total).toBe(total)
    })
    // the kills did land inside bursts, not after them
    expect(interrupted).toBeGreaterThanOrEqual(ROUNDS / 2)
    expect(acknowledged.size).toBeGreaterThan(0)
  }, 600_000)
})

function idOf(name: string): string {
  return `wxid_${name}`
}
