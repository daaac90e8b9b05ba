import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { mock } from 'wechaty-puppet-mock'
import { BotWorld } from '../helpers/BotWorld.js'
import type { BotProcess } from '../helpers/BotProcess.js'
import type { SaidText } from '../helpers/PuppetService.js'
import {
  CHECKIN_LINE,
  couponCodes,
  exampleRushConfig,
  REDEEM_LINE,
  rushMemberId,
  rushMemberName,
  rushTopic,
  rushTraffic,
  SEED_POINTS,
  type RushStep,
} from '../helpers/rushMix.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * A hot group over the real transport, with every skill of the example config on (issue 27):
 * the example's own YAML (welcome, checkin, tags, points, guard, autoreply, live, shop in the
 * fan rooms; gate in the VIP and join groups), its limits (20/room/min, 60/min), 5 fan rooms
 * of 100 members holding points, and the realistic mix of tests/helpers/rushMix.ts: check-ins,
 * questions, the catalog, redemptions, 我的兑换, 我的标签, subscriptions, the live list, chatter,
 * a link card now and then.
 *
 * - The rush: 50 messages a second for 24 s (the bench's 240 s, shortened to fit `npm test`).
 * - A soak: 2 messages a second per room for 2 minutes (the bench runs the 10 minutes
 *   on a fake clock).
 *
 * Each: every check-in and every redemption confirmed exactly once within 2 minutes, every
 * code delivered; informational replies coalesced (a list naming several askers) or dropped
 * and counted in #stats (as many as the bot's drop log lines say); the limits hold; the bot's
 * RSS flat; stopping writes no line per text.
 */
const ROOMS = 5
const MEMBERS = 100
const ADMIN = 'wxid_boss'
const LIVE_START = DateTime.now().setZone('Asia/Shanghai').plus({ days: 7 }).toFormat('yyyy-MM-dd HH:mm')
const TWO_MINUTES = 120_000

// the codes file must exist when the bot reads its config
const codesDir = mkdtempSync(join(tmpdir(), 'siyu-rush-codes-'))
const CODES = join(codesDir, 'coupon.txt')
writeFileSync(CODES, couponCodes(5_000))
afterAll(() => rmSync(codesDir, { recursive: true, force: true }))

interface Fans {
  room: mock.RoomMock
  members: mock.ContactMock[]
}

/** A world of its own per describe: the example config, 5 fan rooms, the bot logging at info (a rush at debug is mostly log). */
function rushWorld(prefix: string) {
  let world: BotWorld | undefined
  let rooms: Fans[] = []
  let boss: mock.ContactMock
  beforeAll(async () => {
    world = await BotWorld.create(prefix, exampleRushConfig({ codesFile: CODES, admin: ADMIN, liveStart: LIVE_START }))
    boss = world.svc.contact('老板', ADMIN)
    rooms = Array.from({ length: ROOMS }, (_, r) => {
      const members = Array.from({ length: MEMBERS }, (_, i) => world!.svc.contact(rushMemberName(r, i), rushMemberId(r, i)))
      return { room: world!.svc.room(rushTopic(r), [boss, ...members]), members }
    })
    await world.startBot({ env: { LOG_LEVEL: 'info' } })
  }, 60_000)
  afterAll(async () => world?.close())
  return {
    get world() {
      return world!
    },
    get rooms() {
      return rooms
    },
    get boss() {
      return boss
    },
  }
}

/** The brand's history: every member holds points (an admin's #points add with contact ids, 50 a message). */
async function seedPoints(w: ReturnType<typeof rushWorld>): Promise<void> {
  const { svc } = w.world
  let commands = 0
  for (const [r, { room }] of w.rooms.entries()) {
    for (let from = 0; from < MEMBERS; from += 50) {
      const ids = Array.from({ length: 50 }, (_, i) => rushMemberId(r, from + i))
      w.boss.say(`#points add ${ids.join(' ')} ${SEED_POINTS} 开场`).to(room)
      commands++
    }
  }
  // (confirmations merge: count lines, not messages)
  await waitFor(() => linesOf(svc.said).filter((l) => l.line.startsWith('积分池 sisley：')).length >= commands, { timeoutMs: 60_000, what: 'the points given' })
}

interface Driven {
  /** When each member's 签到 was sent. */
  checkedInAt: Map<string, number>
  /** When each live-list ask was sent, per room. */
  listAsks: Array<Array<{ id: string; at: number }>>
  lastAt: number
}

/** Send the steps at their times (a load generator, not a wait for a result). */
async function drive(w: ReturnType<typeof rushWorld>, steps: RushStep[]): Promise<Driven> {
  const { svc } = w.world
  const checkedInAt = new Map<string, number>()
  const listAsks = w.rooms.map(() => [] as Array<{ id: string; at: number }>)
  const start = Date.now()
  for (const [k, s] of steps.entries()) {
    const due = start + s.at
    if (due > Date.now()) await new Promise((res) => setTimeout(res, due - Date.now()))
    const { room, members } = w.rooms[s.room]!
    const member = members[s.member]!
    if (s.what === 'checkin') checkedInAt.set(member.payload.name, Date.now())
    if (s.what === 'liveList') listAsks[s.room]!.push({ id: member.id, at: Date.now() })
    if (s.what === 'link') svc.puppet.postCard(member, room, { kind: 'url', url: `https://spam.example.com/${k}`, title: '限时秒杀' })
    else member.say(s.text).to(room)
  }
  return { checkedInAt, listAsks, lastAt: Date.now() }
}

/** Every line of the bot's, with when it reached the puppet. */
function linesOf(said: readonly SaidText[]): Array<{ line: string; at: number }> {
  return said.flatMap((s) => s.text.split('\n').map((line) => ({ line, at: s.at })))
}

/** Every check-in confirmed exactly once within 2 minutes of the member's message. */
async function expectCheckinsConfirmed(w: ReturnType<typeof rushWorld>, checkedInAt: Map<string, number>): Promise<number[]> {
  const { svc } = w.world
  const confirmed = () => {
    const at = new Map<string, number[]>()
    for (const { line, at: t } of linesOf(svc.said.filter((s) => s.roomId))) {
      const m = CHECKIN_LINE.exec(line)
      if (m) (at.get(m[1]!) ?? at.set(m[1]!, []).get(m[1]!)!).push(t)
    }
    return at
  }
  await waitFor(() => [...checkedInAt.keys()].every((n) => confirmed().has(n)), {
    timeoutMs: 150_000,
    intervalMs: 500,
    what: `every check-in confirmed (have ${confirmed().size} of ${checkedInAt.size})`,
  })
  const at = confirmed()
  const delays = [...checkedInAt].map(([name, sentAt]) => at.get(name)![0]! - sentAt)
  expect(Math.max(...delays)).toBeLessThan(TWO_MINUTES)
  for (const [name, times] of at) expect(times, name).toHaveLength(1)
  return delays
}

/** Every order the bot placed (its audit line) confirmed exactly once within 2 minutes, every code delivered privately. */
async function expectOrdersConfirmed(w: ReturnType<typeof rushWorld>, bot: BotProcess): Promise<number> {
  const { svc } = w.world
  const placed = () => bot.logs.filter((l) => l.msg === 'order placed') as unknown as Array<{ order: string; member: string; delivery: string; time: number }>
  const confirmations = () =>
    linesOf(svc.said.filter((s) => s.roomId)).flatMap(({ line, at }) => {
      const m = REDEEM_LINE.exec(line)
      return m ? [{ order: m[2]!, at }] : []
    })
  const codes = () => svc.said.filter((s) => !s.roomId && s.text.startsWith('【兑换券码】'))
  await waitFor(() => placed().every((o) => confirmations().some((c) => c.order === o.order)), { timeoutMs: 150_000, intervalMs: 500, what: 'every order confirmed' })
  const codeOrders = placed().filter((o) => o.delivery === 'codes')
  await waitFor(() => codes().length >= codeOrders.length, { timeoutMs: 150_000, intervalMs: 500, what: `every code delivered (${codes().length} of ${codeOrders.length})` })
  expect(placed().length).toBeGreaterThan(0)
  for (const o of placed()) {
    const mine = confirmations().filter((c) => c.order === o.order)
    expect(mine, `order ${o.order}`).toHaveLength(1)
    expect(mine[0]!.at - o.time, `order ${o.order}`).toBeLessThan(TWO_MINUTES)
  }
  for (const o of codeOrders) {
    const code = codes().filter((c) => c.to === o.member && c.text.includes(`订单 ${o.order}`))
    expect(code, `code of order ${o.order}`).toHaveLength(1)
    expect(code[0]!.at - o.time).toBeLessThan(TWO_MINUTES)
  }
  return placed().length
}

/**
 * Informational replies dropped are counted in #stats. #stats is informational too: right after
 * a rush it waits behind the room's older replies (a room's replies keep their order) and may
 * itself be dropped; its numbers are those of when it was asked. So it is asked until answered,
 * then once more: by then every older reply of the room was sent or dropped, and the count is
 * final. It equals the drops the bot logs for the room (once per room and minute: awaited).
 * Returns the room's count.
 */
async function expectDropsCounted(w: ReturnType<typeof rushWorld>, bot: BotProcess): Promise<number> {
  const { svc } = w.world
  const room = w.rooms[0]!.room
  const ask = (timeoutMs: number): Promise<SaidText | undefined> => {
    const before = svc.said.length
    w.boss.say('#stats').to(room)
    return waitFor(() => svc.said.slice(before).find((s) => s.roomId === room.id && s.text.startsWith('今日数据')), { timeoutMs, intervalMs: 500, what: 'the #stats answer' }).catch(
      () => undefined,
    )
  }
  // dropped with the rush's replies (2 minutes): asked again, on a clear queue
  if (!(await ask(125_000)) && !(await ask(30_000))) throw new Error('#stats was not answered twice in a row')
  const reply = await ask(30_000)
  if (!reply) throw new Error('#stats, asked on a clear queue, was not answered')
  // the room's own lines come first, then the group's total ("分组「…」5 个群合计：")
  const own = reply.text.slice(0, reply.text.indexOf('个群合计'))
  const shown = Number(/高峰时未能及时发出而放弃的回复 (\d+)/.exec(own)?.[1] ?? 0)
  await waitFor(() => droppedLogged(bot, room.id) === shown, {
    timeoutMs: 70_000,
    intervalMs: 500,
    what: `the drop log of ${room.payload.topic} to reach #stats' ${shown} (has ${droppedLogged(bot, room.id)})`,
  })
  return shown
}

/** Informational replies the bot logged as dropped (a line per room and minute), in one conversation. */
function droppedLogged(bot: BotProcess, conversation: string): number {
  return bot.logs.filter((l) => l.msg.startsWith('informational replies dropped') && l.conversation === conversation).reduce((n, l) => n + (l.dropped as number), 0)
}

/** Stop: no line per text, at most one summary line, and the room #stats was asked in dropped nothing more. */
async function stopAndExpect(w: ReturnType<typeof rushWorld>, bot: BotProcess, shown: number): Promise<void> {
  await bot.stop()
  // the exit can come before the last lines are read
  await bot.waitForLog((l) => l.msg === 'stopped', 'the last line')
  expect(bot.logs.filter((l) => l.msg === 'shutting down with texts still waiting: not sent').length).toBeLessThanOrEqual(1)
  expect(bot.logs.filter((l) => l.msg === 'a message was not sent')).toEqual([])
  expect(droppedLogged(bot, w.rooms[0]!.room.id)).toBe(shown)
}

function maxPerMinute(said: SaidText[]): number {
  const ts = said.map((s) => s.at).sort((a, b) => a - b)
  let best = 0
  for (let i = 0, j = 0; i < ts.length; i++) {
    while (j < ts.length && ts[j]! < ts[i]! + 60_000) j++
    best = Math.max(best, j - i)
  }
  return best
}

/** The shortest time n+1 consecutive messages took (more than a minute: never n+1 in a minute). */
function shortestSpan(said: SaidText[], n: number): number {
  const ts = said.map((s) => s.at).sort((a, b) => a - b)
  let best = Infinity
  for (let i = 0; i + n < ts.length; i++) best = Math.min(best, ts[i + n]! - ts[i]!)
  return best
}

function expectLimitsHeld(said: SaidText[], rooms: Fans[]): void {
  expect(maxPerMinute(said), `61 messages within ${shortestSpan(said, 60)} ms`).toBeLessThanOrEqual(60)
  const inRooms = said.filter((s) => s.roomId)
  for (const { room } of rooms) expect(maxPerMinute(inRooms.filter((s) => s.roomId === room.id))).toBeLessThanOrEqual(20)
}

/** The bot's resident memory now (Linux). */
function rssOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!
  return Number(/(\d+)/.exec(line)![1]) * 1024
}

describe('fault: a rush that lasts, every skill of the example on, over gRPC', () => {
  const w = rushWorld('rush')

  it('50 msgs/s for 24 s: every check-in and redemption confirmed once within 2 minutes, lists coalesced naming their askers, drops counted, limits held', async () => {
    const { svc, bot } = w.world
    await seedPoints(w)
    const steps = rushTraffic({ rooms: ROOMS, members: MEMBERS, perSecond: 50, seconds: 24, redeemPercent: 0.8 })
    const { checkedInAt, listAsks } = await drive(w, steps)
    expect(checkedInAt.size).toBe(ROOMS * MEMBERS)

    await expectCheckinsConfirmed(w, checkedInAt)
    await expectOrdersConfirmed(w, bot!)
    expectLimitsHeld(svc.said, w.rooms)

    // the live list: far fewer messages than asks, each naming only members who asked for it
    const listsIn = (roomId: string) => svc.said.filter((s) => s.roomId === roomId && s.text.includes('双11返场直播（编号 d11）'))
    await waitFor(() => w.rooms.every(({ room }) => listsIn(room.id).some((l) => l.mentionIds.length >= 2)), {
      timeoutMs: 150_000,
      intervalMs: 500,
      what: 'a live list naming several askers in every room',
    })
    w.rooms.forEach(({ room }, r) => {
      const lists = listsIn(room.id)
      const askers = new Set(listAsks[r]!.map((a) => a.id))
      expect(lists.length).toBeGreaterThan(0)
      expect(lists.length).toBeLessThan(listAsks[r]!.length / 3)
      for (const list of lists) for (const id of list.mentionIds) expect(askers.has(id), `${id} @-ed in ${room.payload.topic}`).toBe(true)
      expect(Math.max(...lists.map((l) => l.mentionIds.length))).toBeGreaterThanOrEqual(2)
    })

    const shown = await expectDropsCounted(w, bot!)
    await stopAndExpect(w, bot!, shown)
  }, 300_000)
})

// The soak takes 5 minutes of real time: `npm test` runs the rush above; the soak runs with
// SIYU_LONG_TESTS=1, and its 10-minute version is the rush bench's
// (bench/rushEverySkill.ts, on a fake clock: bench/RESULTS.md).
describe.runIf(process.env.SIYU_LONG_TESTS === '1')('fault: a soak at 2 msgs/s per room, every skill of the example on, over gRPC', () => {
  const w = rushWorld('soak')

  it('2 minutes at 2 msgs/s per room: every check-in and redemption confirmed once within 2 minutes, drops counted, limits held, RSS flat', async () => {
    const { svc, bot } = w.world
    await seedPoints(w)
    const pid = bot!.pid!
    const rss: number[] = []
    const sampler = setInterval(() => rss.push(rssOf(pid)), 5_000)
    try {
      const steps = rushTraffic({ rooms: ROOMS, members: MEMBERS, perSecond: 2 * ROOMS, seconds: 120, redeemPercent: 4 })
      const { checkedInAt } = await drive(w, steps)
      expect(checkedInAt.size).toBe(ROOMS * MEMBERS)
      const delays = await expectCheckinsConfirmed(w, checkedInAt)
      // at this pace the queue keeps up: confirmations come in seconds, not minutes
      expect(delays.sort((a, b) => a - b)[Math.floor(delays.length / 2)]!).toBeLessThan(30_000)
      await expectOrdersConfirmed(w, bot!)
    } finally {
      clearInterval(sampler)
    }
    expectLimitsHeld(svc.said, w.rooms)
    // flat: the second half of the soak holds no more than the first half's peak and some slack (GC timing)
    const half = Math.floor(rss.length / 2)
    const first = Math.max(...rss.slice(0, half))
    const second = Math.max(...rss.slice(half))
    expect(second).toBeLessThan(first * 1.25)

    const shown = await expectDropsCounted(w, bot!)
    await stopAndExpect(w, bot!, shown)
  }, 420_000)
})
