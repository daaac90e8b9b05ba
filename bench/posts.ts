/**
 * Posts (CONTRACT §10), two measures:
 *
 * 1. Fan-out: ONE post (a text and a picture: two messages a room) due at 09:00 in 30 groups ×
 *    3 rooms, under the default limits (20 per room and 60 in all per minute, 0.4–1.2 s
 *    between messages), on a FakeClock through the real engine, posts skill, store and send
 *    queue: when the last room had the whole post, and the most messages in any minute, per
 *    room and in all.
 * 2. Cost: the message pipeline (bench/pipeline.ts: 20,000 messages, every skill) with 200 posts
 *    scheduled (200 planned jobs, their timers armed) against none, alternating rounds.
 *
 * Run alone: node --import tsx bench/posts.ts [rounds]
 */
import { DateTime } from 'luxon'
import { FakeClock, settle } from '../src/clock/FakeClock.js'
import { parseConfig } from '../src/config/loadConfig.js'
import { Engine } from '../src/engine/Engine.js'
import { silentLogger } from '../src/log/logger.js'
import { SendQueue } from '../src/send/SendQueue.js'
import { MemoryAdapter } from '../src/store/MemoryAdapter.js'
import { Store } from '../src/store/Store.js'
import { SKILLS } from '../skills/index.js'
import { fmt, median } from './lib.js'
import { benchConfig, MEMBERS, RULES, siyuRound } from './pipeline.js'

const GROUPS = 30
const ROOMS_PER_GROUP = 3
const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: 'Asia/Shanghai' }).toMillis()

export interface FanOutResult {
  rooms: number
  messages: number
  /** From the post's time until the last room had both its messages (s). */
  lastRoomSeconds: number
  /** The most messages in any 60 s: in one room, and in all. */
  maxRoomPerMinute: number
  maxTotalPerMinute: number
}

export async function fanOutRound(seed = 1): Promise<FanOutResult> {
  const groups = Array.from(
    { length: GROUPS },
    (_, g) => `  - name: g${g}
    match: { topic: "g${g}-*" }
    skills:
      posts:
        - id: morning
          when: "每天 09:00"
          send: ["早上好！今天记得签到哦～", { media: rules }]`,
  ).join('\n')
  const yaml = `bot:\n  timezone: Asia/Shanghai\n  admins: [wxid_admin]\nmedia:\n  rules: { image: media/群规.png }\ngroups:\n${groups}\n`
  const clock = new FakeClock(sh('2026-11-26 08:59'))
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter, { clock })
  const sent: Array<{ at: number; to: string }> = []
  // the queue's jitter from a seeded generator: a run is repeatable
  let s = seed
  const random = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31)
  const queue = new SendQueue(
    {
      send: async (to) => void sent.push({ at: clock.now(), to }),
      sendMedia: async (to) => (sent.push({ at: clock.now(), to }), { as: 'media' as const }),
      mediaBudgetLeft: () => Infinity,
    },
    { clock, limits: { roomPerMinute: 20, totalPerMinute: 60 }, random },
  )
  const config = parseConfig('bench.yaml', yaml, SKILLS, clock.now())
  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log: silentLogger }, config)
  engine.markRoomsReady()
  for (let g = 0; g < GROUPS; g++) for (let r = 0; r < ROOMS_PER_GROUP; r++) engine.rooms.upsert({ id: `g${g}r${r}@chatroom`, topic: `g${g}-${r}` })
  const due = sh('2026-11-26 09:00')
  const total = GROUPS * ROOMS_PER_GROUP * 2
  for (let t = due; sent.length < total && t < due + 3600_000; t += 1_000) {
    await clock.advanceTo(t)
    await store.durable()
    await settle()
  }
  engine.stop()
  if (sent.length < total) throw new Error(`only ${sent.length} of ${total} messages sent`)
  const perRoom = new Map<string, number>()
  for (const m of sent) perRoom.set(m.to, (perRoom.get(m.to) ?? 0) + 1)
  const window = (xs: number[]) => Math.max(...xs.map((a) => xs.filter((b) => b >= a && b < a + 60_000).length))
  const rooms = [...perRoom.keys()]
  return {
    rooms: rooms.length,
    messages: sent.length,
    lastRoomSeconds: (Math.max(...sent.map((m) => m.at)) - due) / 1000,
    maxRoomPerMinute: Math.max(...rooms.map((r) => window(sent.filter((m) => m.to === r).map((m) => m.at)))),
    maxTotalPerMinute: window(sent.map((m) => m.at)),
  }
}

/** 200 one-off posts far ahead in the bench group: 200 planned jobs with armed timers. */
export function configWithPosts(n = 200): string {
  const posts = Array.from({ length: n }, (_, i) => `        - { id: p${i}, when: "2030-01-${String(1 + (i % 28)).padStart(2, '0')} ${String(8 + (i % 12)).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}", send: "帖子 ${i}" }`).join('\n')
  return benchConfig(`      posts:\n${posts}\n`)
}

/**
 * µs per message through the engine with every skill of the bench config, 200 posts scheduled
 * or none (FakeClock, store in memory, no limits): what posts add to the path of a message,
 * without the runtime's noise.
 */
export async function costEngine(withPosts: boolean): Promise<number> {
  const clock = new FakeClock(sh('2026-11-26 10:00'))
  const adapter = new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  const queue = new SendQueue({ send: async () => {} }, { clock, limits: false })
  const yaml = withPosts ? configWithPosts() : benchConfig()
  const engine = await Engine.create({ skills: SKILLS, store, queue, clock, log: silentLogger }, parseConfig('bench.yaml', yaml, SKILLS, clock.now()))
  engine.markRoomsReady()
  if (withPosts && engine.jobs.planner('posts', 'bench').list().filter((j) => j.state === 'planned').length !== 200) throw new Error('the 200 posts are not planned')
  const rooms = Array.from({ length: 50 }, (_, r) => ({ id: `bench${r}@chatroom`, topic: `bench-${r}` }))
  for (const room of rooms) engine.rooms.upsert(room)
  const texts: string[] = []
  for (let i = 0; i < MEMBERS; i++) for (let r = 0; r < 50; r++) texts.push('签到')
  for (let i = 0; i < MEMBERS; i++) for (let r = 0; r < 50; r++) texts.push(`请问 KW${(i * 7 + r * 13) % RULES}Z 什么时候有货？`)
  const t0 = performance.now()
  for (let k = 0; k < texts.length; k++) {
    const r = k % 50
    const i = Math.floor(k / 50) % MEMBERS
    await engine.handleMessage({
      room: rooms[r]!,
      talker: { id: `wxid_r${r}m${i}`, name: `会员${i}` },
      message: { id: `m${k}`, text: texts[k]!, textWithoutMentions: texts[k]!, mentionsBot: false, mentionIds: [], date: clock.now() },
    })
    if (k % 1000 === 999) await clock.advance(1000)
  }
  const us = ((performance.now() - t0) * 1000) / texts.length
  engine.stop()
  return us
}

export async function postsRows(rounds: number, log: (s: string) => void): Promise<string[][]> {
  const fan: FanOutResult[] = []
  for (let i = 0; i < rounds; i++) {
    log(`posts fan-out: round ${i + 1}/${rounds}`)
    fan.push(await fanOutRound(i + 1))
  }
  const withPosts: number[] = []
  const without: number[] = []
  for (let i = 0; i < rounds; i++) {
    log(`posts cost: round ${i + 1}/${rounds}`)
    // alternate which goes first: the machine warms up
    if (i % 2 === 0) {
      without.push((await siyuRound()).perSecond)
      withPosts.push((await siyuRound({ config: configWithPosts() })).perSecond)
    } else {
      withPosts.push((await siyuRound({ config: configWithPosts() })).perSecond)
      without.push((await siyuRound()).perSecond)
    }
  }
  // the engine alone, ABBA per round: none, posts, posts, none
  const engineWith: number[] = []
  const engineWithout: number[] = []
  await costEngine(false) // warm-up
  for (let i = 0; i < rounds; i++) {
    log(`posts cost (engine): round ${i + 1}/${rounds}`)
    const a1 = await costEngine(false)
    const b1 = await costEngine(true)
    const b2 = await costEngine(true)
    const a2 = await costEngine(false)
    engineWithout.push((a1 + a2) / 2)
    engineWith.push((b1 + b2) / 2)
  }
  const m = (f: (r: FanOutResult) => number) => median(fan.map(f))
  const ew = median(engineWith)
  const en = median(engineWithout)
  const w = median(withPosts)
  const n = median(without)
  return [
    [`Posts fan-out: one post (text + picture) due at 09:00 in ${GROUPS} groups × ${ROOMS_PER_GROUP} rooms, default limits 20/room/min, 60/min (fake clock)`, '', 'limit', ''],
    ['  rooms that got it / messages sent', `${fmt(m((r) => r.rooms), 0)} / ${fmt(m((r) => r.messages), 0)}`, `${GROUPS * ROOMS_PER_GROUP} / ${GROUPS * ROOMS_PER_GROUP * 2}`, ''],
    ['  last room had the whole post after (s)', fmt(m((r) => r.lastRoomSeconds), 0), '', ''],
    ['  most messages in any minute: one room / all', `${fmt(m((r) => r.maxRoomPerMinute), 0)} / ${fmt(m((r) => r.maxTotalPerMinute), 0)}`, '20 / 60', ''],
    ['Posts cost: the pipeline (20,000 messages, every skill) with 200 posts scheduled', 'with 200 posts', 'no posts', ''],
    ['  messages/s', fmt(w, 0), fmt(n, 0), `${fmt(((w - n) / n) * 100, 1)}%`],
    ['  engine alone, every skill, µs per message (ABBA)', fmt(ew, 2), fmt(en, 2), `${fmt(((ew - en) / en) * 100, 1)}%`],
  ]
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.env.WECHATY_LOG ??= 'silent'
  const rows = await postsRows(Number(process.argv[2] ?? 3), (x) => process.stderr.write(`${x}\n`))
  console.log(['| measure | siyu | baseline | ratio |', '|---|---|---|---|', ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'))
  process.exit(0)
}
