import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { mock } from 'wechaty-puppet-mock'
import { pointsBook } from '../src/engine/SkillContext.js'
import { silentLogger } from '../src/log/logger.js'
import { startApp } from '../src/runtime/App.js'
import { emitAll, MockWorld, tempDir, until } from './lib.js'

/**
 * The shop's burst (the fault test's, without the kills): 1,000 redemption requests from 500
 * members (each asks twice) for an item with stock 100 and one code per order — against the
 * same 1,000 messages as check-ins (each member checks in twice: 500 new, 500 "already"), on
 * the same world, so the two are comparable. Time from the first message to the last answer
 * in the rooms (every answer waits for its group commit).
 */
const ROOMS = 5
const MEMBERS_PER_ROOM = 100
const REQUESTS = 2 * ROOMS * MEMBERS_PER_ROOM
const STOCK = 100

export interface ShopBurstResult {
  seconds: number
  answers: number
  /** Private messages with codes that reached the members (shop only). */
  codes: number
  /** From the first message to the last code at the puppet (shop only). */
  codesSeconds: number
  botMessages: number
}

const config = (codes: string) => `bot:
  admins: [wxid_admin]
  rateLimit: false
groups:
  - name: bench
    match: { topic: "bench-*" }
    skills:
      checkin: {}
      shop:
        items:
          - { id: gift, name: 礼品, price: 10, stock: ${STOCK}, delivery: codes, codes: "${codes}" }
`

async function run(text: string): Promise<ShopBurstResult> {
  const { dir, cleanup } = await tempDir('siyu-shopburst-')
  const codes = join(dir, 'codes.txt')
  await writeFile(codes, Array.from({ length: STOCK * 2 }, (_, i) => `BENCH-${i}`).join('\n'))
  await writeFile(join(dir, 'bot.yaml'), config(codes))
  const world = new MockWorld(ROOMS, MEMBERS_PER_ROOM)
  let codesDelivered = 0
  let lastCodeAt = 0
  world.bot.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId !== world.bot.id || m.payload.roomId) return
    codesDelivered++
    lastCodeAt = performance.now()
  })
  const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log: silentLogger, puppet: world.puppet })
  // every member can afford it: points given before the burst (and on disk)
  const book = pointsBook(app.store, 'bench')
  for (const { members } of world.rooms) {
    for (const m of members) book.change(m.id, 1000, 'adjust', { now: Date.now(), day: '2026-11-26', group: 'bench', note: 'bench' })
  }
  await app.store.durable()
  world.login()
  await app.runtime.ready
  try {
    const t0 = performance.now()
    await emitAll(REQUESTS, (i) => {
      const { room, members } = world.rooms[i % ROOMS]!
      world.say(members[Math.floor(i / (2 * ROOMS))]!, room, text)
    })
    if (!(await until(() => world.replyLines >= REQUESTS, 10 * 60_000))) throw new Error(`only ${world.replyLines} of ${REQUESTS} answered`)
    const seconds = (world.lastReplyAt - t0) / 1000
    if (text !== '签到' && !(await until(() => codesDelivered >= STOCK, 60_000))) throw new Error(`only ${codesDelivered} codes delivered`)
    return { seconds, answers: world.replyLines, codes: codesDelivered, codesSeconds: (lastCodeAt - t0) / 1000, botMessages: world.botMessages }
  } finally {
    await app.stop()
    await cleanup()
  }
}

export const redemptionBurst = (): Promise<ShopBurstResult> => run('兑换 gift')
export const checkinBurstSameWorld = (): Promise<ShopBurstResult> => run('签到')
