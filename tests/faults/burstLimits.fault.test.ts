import { describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'
import type { PuppetService, SaidText } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

const ROOM_PER_MINUTE = 20
const TOTAL_PER_MINUTE = 60
const CONFIG = `bot:
  admins: [wxid_boss]
  rateLimit: { roomPerMinute: ${ROOM_PER_MINUTE}, totalPerMinute: ${TOTAL_PER_MINUTE} }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
`

/** The most messages in any 60 s window. */
function maxPerMinute(said: SaidText[]): number {
  const ts = said.map((s) => s.at).sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (j < ts.length && ts[j]! < ts[i]! + 60_000) j++
    best = Math.max(best, j - i)
  }
  return best
}

describe('fault: a burst of 1,000 outgoing texts against the rate limits', () => {
  let rooms: Array<{ room: ReturnType<PuppetService['room']>; members: Array<ReturnType<PuppetService['contact']>> }> = []
  // the groups exist when the bot logs in (as in production), so Wechaty loads their members
  // once at login rather than once per message of the burst (its Room.ready() has no herd guard)
  const used = useBotWorld('burst', CONFIG, (svc) => {
    rooms = Array.from({ length: 10 }, (_, r) => {
      const members = Array.from({ length: 100 }, (_, i) => svc.contact(`r${r}会员${i}`))
      return { room: svc.room(`粉丝${r}群`, members), members }
    })
  })

  it('never exceeds the limits at the puppet, loses nothing, merges the backlog', async () => {
    const { svc } = used
    for (const { room, members } of rooms) for (const m of members) m.say('签到').to(room)

    const lines = () => svc.said.flatMap((s) => s.text.split('\n')).filter((l) => l.includes('签到成功'))
    await waitFor(() => lines().length >= 1000, { timeoutMs: 120_000, what: `1000 confirmations (have ${lines().length})` })
    for (const { members } of rooms) {
      for (const m of members) expect(lines().filter((l) => l.startsWith(`${m.payload.name} 签到成功`))).toHaveLength(1)
    }
    const inRooms = svc.said.filter((s) => s.roomId)
    expect(maxPerMinute(inRooms)).toBeLessThanOrEqual(TOTAL_PER_MINUTE)
    for (const { room } of rooms) expect(maxPerMinute(inRooms.filter((s) => s.roomId === room.id))).toBeLessThanOrEqual(ROOM_PER_MINUTE)
    // merged: 1,000 confirmations in a few dozen messages, each within WeChat's length
    expect(inRooms.length).toBeLessThan(100)
    for (const s of inRooms) expect([...s.text].length).toBeLessThanOrEqual(2000)
  }, 150_000)
})
