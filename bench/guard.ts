/**
 * guard's bench (issue 9), two parts:
 *
 * 1. Cost per message with 100 words, 20 regexes and every block kind on, measured side by
 *    side (alternating rounds) two ways: the whole pipeline of bench/pipeline.ts (20,000
 *    messages through the runtime on a PuppetMock, every skill) with and without guard; and
 *    guard alone in the engine (no other skill) against an engine with no skill, so its own
 *    µs per message are not lost in the pipeline's noise.
 * 2. A 200-member flood in one room: every member posts 3 link ads within a minute, under the
 *    contract's limits (20/room/min, 60/min, the governor's 6 actions/min) and
 *    removalsPerHour 20, on a FakeClock through the real engine, guard and queue: how many
 *    warnings and removals, how fast, and the most in any minute / hour (never above the limits).
 *
 * Run alone: node --import tsx bench/guard.ts [rounds]
 */
import { FakeClock } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import type { PuppetActions } from '../src/engine/actions.js'
import type { Skill } from '../src/engine/Skill.js'
import { silentLogger } from '../src/log/logger.js'
import { SendQueue } from '../src/send/SendQueue.js'
import { MemoryAdapter } from '../src/store/MemoryAdapter.js'
import { Store } from '../src/store/Store.js'
import { GuardSkill } from '../skills/guard/index.js'
import { SKILLS } from '../skills/index.js'
import { fmt, median } from './lib.js'
import { benchConfig, MEMBERS, RULES, siyuRound } from './pipeline.js'

const WORDS = Array.from({ length: 100 }, (_, i) => `违禁词${i}号`)
const REGEXES = [
  '1[3-9]\\\\d{9}',
  '[qQ]{2}\\\\s*[:：]?\\\\s*\\\\d{6,11}',
  '(微信|wx|vx|VX)\\\\s*[:：]\\\\s*[a-zA-Z][-_a-zA-Z0-9]{5,19}',
  '加\\\\s*[vV薇]',
  ...Array.from({ length: 16 }, (_, i) => `推广码${i}[A-Z]{4}\\\\d{2,4}`),
]

/** guard with everything on (what the issue asks the bench to carry). */
export const GUARD_SECTION = `      guard:
        block:
          links: true
          miniPrograms: true
          contactCards: true
          words: [${WORDS.join(', ')}]
          regex: [${REGEXES.map((r) => `"${r}"`).join(', ')}]
          flood: { messages: 8, seconds: 10 }
          repeat: { times: 3, minutes: 10 }
        exempt: { tags: [staff] }
`

// ---- 1. cost per message --------------------------------------------------------------

/** 20,000 texts like the pipeline's (a check-in and a keyword question per member and room). */
function texts(): string[] {
  const out: string[] = []
  for (let i = 0; i < MEMBERS; i++) for (let r = 0; r < 50; r++) out.push('签到')
  for (let i = 0; i < MEMBERS; i++) for (let r = 0; r < 50; r++) out.push(`请问 KW${(i * 7 + r * 13) % RULES}Z 什么时候有货？`)
  return out
}

/** µs per message through the engine with only guard on (or nothing), FakeClock, store in memory. */
export async function costEngine(withGuard: boolean): Promise<number> {
  const skills: Skill<any>[] = withGuard ? [GuardSkill] : []
  const yaml = `bot:\n  admins: [wxid_admin]\n  rateLimit: false\ngroups:\n  - name: bench\n    match: { topic: "bench-*" }\n    skills:\n${withGuard ? GUARD_SECTION : '      {}\n'}`
  const clock = new FakeClock()
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  const queue = new SendQueue({ send: async () => {} }, { clock, limits: false })
  const engine = await Engine.create({ skills, store, queue, clock, log: silentLogger }, parseConfig('bench.yaml', yaml, skills, clock.now()))
  engine.markRoomsReady()
  const rooms = Array.from({ length: 50 }, (_, r) => ({ id: `bench${r}@chatroom`, topic: `bench-${r}` }))
  for (const room of rooms) engine.rooms.upsert(room)
  const all = texts()
  const t0 = performance.now()
  for (let k = 0; k < all.length; k++) {
    const r = k % 50
    const i = Math.floor(k / 50) % MEMBERS
    const text = all[k]!
    await engine.handleMessage({
      room: rooms[r]!,
      talker: { id: `wxid_r${r}m${i}`, name: `会员${i}` },
      message: { id: `m${k}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() },
    })
    if (k % 1000 === 999) await clock.advance(1000) // 1,000 messages a second
  }
  const us = ((performance.now() - t0) * 1000) / all.length
  engine.stop()
  // the traffic is ordinary chat: guard must pass every message (its cost is the checking)
  if (withGuard && store.keys('guard/').length > 0) throw new Error('guard struck the bench traffic: the comparison would be unfair')
  return us
}

export interface CostResult {
  pipelineWithout: number
  pipelineWith: number
  engineBare: number
  engineGuard: number
}

/** One round; `i` alternates which goes first (the machines are noisy, the JIT warms up). */
export async function costRound(i = 0): Promise<CostResult> {
  const pipe = async (guard: boolean) => 1e6 / (await siyuRound({ config: benchConfig(guard ? GUARD_SECTION : '') })).perSecond
  // ABBA within the round too: one pair's ratio swings by ±10 points on a shared machine
  const [w1, g1] = i % 2 === 0 ? [await pipe(false), await pipe(true)] : [await pipe(true), await pipe(false)].reverse()
  const [g2, w2] = i % 2 === 0 ? [await pipe(true), await pipe(false)] : [await pipe(false), await pipe(true)].reverse()
  const pipelineWithout = (w1! + w2!) / 2
  const pipelineWith = (g1! + g2!) / 2
  // ABBA: bare, guard, guard, bare
  const a1 = await costEngine(false)
  const b1 = await costEngine(true)
  const b2 = await costEngine(true)
  const a2 = await costEngine(false)
  return { pipelineWithout, pipelineWith, engineBare: (a1 + a2) / 2, engineGuard: (b1 + b2) / 2 }
}

// ---- 2. a 200-member flood ------------------------------------------------------------

const FLOOD_MEMBERS = 200
const ADS_EACH = 3
const LIMITS = { roomPerMinute: 20, totalPerMinute: 60 }

export interface FloodResult {
  ads: number
  warningsShown: number
  roomMessages: number
  /** From the first ad to the last warning in the room (simulated seconds). */
  lastWarningAfterS: number
  mostRoomMessagesInAMinute: number
  mostMessagesInAMinute: number
  removalsFirstHour: number
  removals: number
  mostRemovalsInAnHour: number
  mostRemovalsInAMinute: number
  lastRemovalAfterH: number
  adminReports: number
  /** Wall time to handle the 600 ads (the engine's work, not the simulated hours). */
  handleMs: number
  wallS: number
}

function most(times: number[], windowMs: number): number {
  let best = 0
  for (const t of times) best = Math.max(best, times.filter((u) => u > t - windowMs && u <= t).length)
  return best
}

export async function floodRound(): Promise<FloodResult> {
  const w0 = performance.now()
  const yaml = `bot:
  admins: [wxid_admin]
  rateLimit: { roomPerMinute: ${LIMITS.roomPerMinute}, totalPerMinute: ${LIMITS.totalPerMinute} }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
${GUARD_SECTION}        removalsPerHour: 20
      checkin: {}
`
  const clock = new FakeClock(Date.UTC(2026, 10, 27, 12, 0, 0))
  const config = parseConfig('flood.yaml', yaml, SKILLS, clock.now())
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  const sent: Array<{ at: number; to: string; text: string }> = []
  const queue = new SendQueue({ send: async (to, text) => void sent.push({ at: clock.now(), to, text }) }, { clock, limits: config.bot.rateLimit })
  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log: silentLogger }, config)
  const removedAt: number[] = []
  const actions: PuppetActions = {
    acceptFriendship: async () => {},
    addToRoom: async () => {},
    removeFromRoom: async () => void removedAt.push(clock.now()),
    roomMemberIds: async () => [],
    roomMember: async (_r, c) => ({ id: c, name: c }),
    ownIds: () => [],
  }
  engine.setActions(actions)
  engine.markRoomsReady()
  const room = { id: 'fans1@chatroom', topic: '粉丝1群' }
  engine.rooms.upsert(room)
  const start = clock.now()
  let handleMs = 0
  let k = 0
  // 600 ads in 60 s: each second 10 ads, members in turn (each posts one every 20 s)
  for (let second = 0; second < (FLOOD_MEMBERS * ADS_EACH) / 10; second++) {
    const t = performance.now()
    for (let n = 0; n < 10; n++, k++) {
      const i = k % FLOOD_MEMBERS
      const text = `好货低价 点击 https://ad${i}.example/p/${k}`
      await engine.handleMessage({
        room,
        talker: { id: `wxid_spam${i}`, name: `广告${i}` },
        message: { id: `ad${k}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() },
      })
    }
    handleMs += performance.now() - t
    await clock.advance(1000)
  }
  // let the queue and the removals run their course (200 removals at 20/h: 10 hours)
  for (let m = 0; m < 11 * 60; m++) await clock.advance(60_000)
  await store.durable()
  engine.stop()

  const roomSent = sent.filter((s) => s.to === room.id)
  const warnings = roomSent.flatMap((s) => s.text.split('\n').filter((l) => l.includes('本群不允许')))
  const lastWarning = Math.max(...roomSent.filter((s) => s.text.includes('本群不允许')).map((s) => s.at))
  return {
    ads: k,
    warningsShown: warnings.length,
    roomMessages: roomSent.length,
    lastWarningAfterS: (lastWarning - start) / 1000,
    mostRoomMessagesInAMinute: most(roomSent.map((s) => s.at), 60_000),
    mostMessagesInAMinute: most(sent.map((s) => s.at), 60_000),
    removalsFirstHour: removedAt.filter((t) => t < start + 3600_000).length,
    removals: removedAt.length,
    mostRemovalsInAnHour: most(removedAt, 3600_000),
    mostRemovalsInAMinute: most(removedAt, 60_000),
    lastRemovalAfterH: (Math.max(...removedAt) - start) / 3600_000,
    adminReports: sent.filter((s) => s.to === 'wxid_admin').length,
    handleMs,
    wallS: (performance.now() - w0) / 1000,
  }
}

// ---- rows ---------------------------------------------------------------------------------

const pct = (x: number): string => `${x >= 0 ? '+' : '−'}${fmt(Math.abs(x) * 100, 1)}%`

export async function guardRows(rounds: number, log: (s: string) => void = () => {}): Promise<string[][]> {
  const cost: CostResult[] = []
  // warm-up (not counted): the first runs pay for compiling guard's code and regexes, and the
  // pipeline's first app for everything else's
  await costEngine(true)
  await costEngine(false)
  await siyuRound({ config: benchConfig(GUARD_SECTION) })
  await siyuRound({ config: benchConfig('') })
  for (let i = 0; i < rounds; i++) {
    log(`guard cost: round ${i + 1}/${rounds}`)
    cost.push(await costRound(i))
  }
  const c = (k: keyof CostResult) => median(cost.map((r) => r[k]))
  const guardUs = c('engineGuard') - c('engineBare')
  const floods: FloodResult[] = []
  for (let i = 0; i < rounds; i++) {
    log(`guard flood: round ${i + 1}/${rounds}`)
    floods.push(await floodRound())
  }
  const f = (k: keyof FloodResult) => median(floods.map((r) => r[k]))
  return [
    ['Guard cost: 100 words, 20 regexes, links, cards, flood, repeat on (alternating rounds)', 'with guard', 'without', 'ratio'],
    // the median of the rounds' own ratios (not a ratio of medians taken from different rounds)
    ['  pipeline µs per message (20,000 messages, every skill; warm, ABBA per round)', fmt(c('pipelineWith'), 1), fmt(c('pipelineWithout'), 1), pct(median(cost.map((r) => r.pipelineWith / r.pipelineWithout)) - 1)],
    ['  engine alone, µs per message (guard only / no skill)', fmt(c('engineGuard'), 2), fmt(c('engineBare'), 2), ''],
    ['  guard’s own cost per message, against the pipeline’s', fmt(guardUs, 2), fmt(c('pipelineWithout'), 1), `${fmt((guardUs / c('pipelineWithout')) * 100, 1)}%`],
    [`Guard flood: ${FLOOD_MEMBERS} members × ${ADS_EACH} link ads in 60 s, one room, 20/room/min, 60/min, removalsPerHour 20 (fake clock)`, '', 'limit', ''],
    ['  warnings shown (strikes 1 and 2) / room messages carrying them', `${fmt(f('warningsShown'), 0)} / ${fmt(f('roomMessages'), 0)}`, '', ''],
    ['  last warning in the room after (s, from the first ad)', fmt(f('lastWarningAfterS'), 0), '', ''],
    ['  most room messages in any minute / all messages in any minute', `${fmt(f('mostRoomMessagesInAMinute'), 0)} / ${fmt(f('mostMessagesInAMinute'), 0)}`, `${LIMITS.roomPerMinute} / ${LIMITS.totalPerMinute}`, ''],
    ['  removals: in the first hour / in all / most in any hour / most in any minute', `${fmt(f('removalsFirstHour'), 0)} / ${fmt(f('removals'), 0)} / ${fmt(f('mostRemovalsInAnHour'), 0)} / ${fmt(f('mostRemovalsInAMinute'), 0)}`, '20/h, 6/min', ''],
    ['  last removal after (h) / private reports to the admin', `${fmt(f('lastRemovalAfterH'), 1)} / ${fmt(f('adminReports'), 0)}`, '', ''],
    ['  wall time to handle the 600 ads (ms) / whole simulated 11 h (s)', `${fmt(f('handleMs'), 0)} / ${fmt(f('wallS'), 1)}`, '', ''],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.WECHATY_LOG ??= 'silent'
  const rows = await guardRows(Number(process.argv[2] ?? 3), (s) => process.stderr.write(`${s}\n`))
  console.log(['| measure | siyu | baseline | ratio |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'))
  process.exit(0)
}
