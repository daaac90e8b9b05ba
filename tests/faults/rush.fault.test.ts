import { DateTime } from 'luxon'
import { describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'
import type { PuppetService, SaidText } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * A hot group at a live's start, over the real transport: 50 messages a second into 5 rooms
 * of 100 for 24 s (the 240 s, shortened to fit `npm test`), limits 20/room/min and
 * 60/min. Every check-in is confirmed within 2 minutes; the live list goes out once per burst,
 * naming who asked; the limits hold; stopping writes no line per text.
 */
const ROOMS = 5
const MEMBERS = 100
const PER_SECOND = 50
const SECONDS = 24
const LIVE_START = DateTime.now().setZone('Asia/Shanghai').plus({ days: 7 }).toFormat('yyyy-MM-dd HH:mm')

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  rateLimit: { roomPerMinute: 20, totalPerMinute: 60 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      live:
        lives: [{ id: hot, title: 新品首发直播, start: "${LIVE_START}" }]
      autoreply:
        rules:
          - keywords: [发货]
            reply: 下单后 48 小时内发货
`

const OTHER = ['直播预告', '我的积分', '预约', '什么时候发货', '大家好', '直播预告', '积分榜']

function maxPerMinute(said: SaidText[]): number {
  const ts = said.map((s) => s.at).sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (j < ts.length && ts[j]! < ts[i]! + 60_000) j++
    best = Math.max(best, j - i)
  }
  return best
}

describe('fault: a rush that lasts, over gRPC', () => {
  let rooms: Array<{ room: ReturnType<PuppetService['room']>; members: Array<ReturnType<PuppetService['contact']>> }> = []
  const used = useBotWorld('rush', CONFIG, (svc) => {
    rooms = Array.from({ length: ROOMS }, (_, r) => {
      const members = Array.from({ length: MEMBERS }, (_, i) => svc.contact(`r${r}会员${i}`, `wxid_r${r}m${i}`))
      return { room: svc.room(`粉丝${r}群`, members), members }
    })
  })

  it('confirms every check-in within 2 minutes and sends the live list once per burst, naming its askers', async () => {
    const { svc, bot } = used
    const checkedInAt = new Map<string, number>()
    const listAsks = rooms.map(() => [] as Array<{ id: string; at: number }>)
    // message k: room k % 5, member (k / 5) % 100, round (k / 500): every member checks in once,
    // half of them in round 0 and half in round 1, between questions and chatter
    const total = PER_SECOND * SECONDS
    const start = Date.now()
    for (let k = 0; k < total; k++) {
      const r = k % ROOMS
      const j = Math.floor(k / ROOMS)
      const i = j % MEMBERS
      const round = Math.floor(j / MEMBERS)
      const member = rooms[r]!.members[i]!
      const text = round < 2 && i % 2 === round ? '签到' : OTHER[(k + round) % OTHER.length]!
      // pace: 50 a second (a load generator, not a wait for a result)
      const due = start + (k * 1000) / PER_SECOND
      if (due > Date.now()) await new Promise((res) => setTimeout(res, due - Date.now()))
      if (text === '签到') checkedInAt.set(member.payload.name, Date.now())
      if (text === '直播预告') listAsks[r]!.push({ id: member.id, at: Date.now() })
      member.say(text).to(rooms[r]!.room)
    }
    expect(checkedInAt.size).toBe(ROOMS * MEMBERS)

    const confirmedAt = (name: string): number | undefined =>
      svc.said.find((s) => s.roomId && s.text.split('\n').some((l) => l.startsWith(`${name} 签到成功`)))?.at
    await waitFor(() => [...checkedInAt.keys()].every((n) => confirmedAt(n) !== undefined), {
      timeoutMs: 150_000,
      intervalMs: 250,
      what: `every check-in confirmed (have ${[...checkedInAt.keys()].filter((n) => confirmedAt(n) !== undefined).length} of ${checkedInAt.size})`,
    })
    const delays = [...checkedInAt].map(([name, at]) => confirmedAt(name)! - at)
    expect(Math.max(...delays)).toBeLessThan(120_000)
    // each confirmed once
    for (const name of checkedInAt.keys()) {
      const lines = svc.said.flatMap((s) => s.text.split('\n')).filter((l) => l.startsWith(`${name} 签到成功`))
      expect(lines, name).toHaveLength(1)
    }

    // the limits held through the rush
    const inRooms = svc.said.filter((s) => s.roomId)
    expect(maxPerMinute(inRooms)).toBeLessThanOrEqual(60)
    for (const { room } of rooms) expect(maxPerMinute(inRooms.filter((s) => s.roomId === room.id))).toBeLessThanOrEqual(20)

    // the live list: far fewer messages than asks, each naming only members who asked for it;
    // the last asks of the rush are answered once the owed texts are out
    const listsIn = (roomId: string) => svc.said.filter((s) => s.roomId === roomId && s.text.includes('新品首发直播（编号 hot）'))
    await waitFor(() => rooms.every(({ room }, r) => listsIn(room.id).some((l) => l.at > listAsks[r]!.at(-1)!.at)), {
      timeoutMs: 150_000,
      intervalMs: 250,
      what: 'a live list after the last ask in every room',
    })
    rooms.forEach(({ room }, r) => {
      const lists = listsIn(room.id)
      const asks = listAsks[r]!
      const askers = new Set(asks.map((a) => a.id))
      expect(lists.length).toBeGreaterThan(0)
      expect(lists.length).toBeLessThan(asks.length / 3)
      for (const list of lists) for (const id of list.mentionIds) expect(askers.has(id), `${id} @-ed in ${room.payload.topic}`).toBe(true)
      expect(Math.max(...lists.map((l) => l.mentionIds.length))).toBeGreaterThanOrEqual(2)
      // everyone who asked is named, unless a list had more askers than it names (等 N 人)
      if (!lists.some((l) => /等 \d+ 人/.test(l.text))) {
        const named = new Set(lists.flatMap((l) => l.mentionIds))
        const answeredAlone = lists.filter((l) => l.mentionIds.length === 0).length
        expect(askers.size - named.size).toBeLessThanOrEqual(answeredAlone)
      }
    })

    // stopping with informational replies still waiting: at most one summary line, none per text
    await bot.stop()
    expect(bot.logs.filter((l) => l.msg === 'a message was not sent')).toEqual([])
    expect(bot.logs.filter((l) => l.msg === 'shutting down with texts still waiting: not sent').length).toBeLessThanOrEqual(1)
  }, 240_000)
})
