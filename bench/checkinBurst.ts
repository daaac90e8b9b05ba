import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Low } from 'lowdb'
import { JSONFile } from 'lowdb/node'
import { WechatyBuilder } from 'wechaty'
import { silentLogger } from '../src/log/logger.js'
import { startApp } from '../src/runtime/App.js'
import { emitAll, MockWorld, tempDir, until } from './lib.js'

const ROOMS = 50
const MEMBERS = 200

export interface BurstResult {
  checkins: number
  seconds: number
  /** Physical durable writes (siyu: journal appends + snapshots) or lowdb write() calls (naive). */
  writes: number
  botMessages: number
}

const CONFIG = `bot:
  admins: [wxid_admin]
  rateLimit: false
groups:
  - name: bench
    match: { topic: "bench-*" }
    skills:
      checkin: {}
`

async function burst(world: MockWorld): Promise<number> {
  const t0 = performance.now()
  await emitAll(ROOMS * MEMBERS, (i) => {
    const { room, members } = world.rooms[i % ROOMS]!
    world.say(members[Math.floor(i / ROOMS)]!, room, '签到')
  })
  if (!(await until(() => world.replyLines >= ROOMS * MEMBERS, 10 * 60_000))) {
    throw new Error(`only ${world.replyLines} check-ins acknowledged`)
  }
  return (world.lastReplyAt - t0) / 1000
}

/** siyu: every acknowledgement waits for its check-in's group commit. */
export async function siyuBurst(): Promise<BurstResult> {
  const { dir, cleanup } = await tempDir('siyu-burst-')
  await writeFile(join(dir, 'bot.yaml'), CONFIG)
  const world = new MockWorld(ROOMS, MEMBERS)
  const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log: silentLogger, puppet: world.puppet })
  world.login()
  await app.runtime.ready
  const before = app.store.adapter.metrics.fileWrites
  try {
    const seconds = await burst(world)
    return { checkins: ROOMS * MEMBERS, seconds, writes: app.store.adapter.metrics.fileWrites - before, botMessages: world.botMessages }
  } finally {
    await app.stop()
    await cleanup()
  }
}

interface NaiveDb {
  members: Record<string, { total: number; streak: number; lastDay: string }>
  ledger: Array<{ member: string; delta: number; at: number }>
}

/** The naive way: a bare Wechaty bot that writes its whole lowdb file once per check-in. */
export async function naiveBurst(): Promise<BurstResult> {
  const { dir, cleanup } = await tempDir('siyu-naive-')
  const db = new Low<NaiveDb>(new JSONFile<NaiveDb>(join(dir, 'db.json')), { members: {}, ledger: [] })
  let writes = 0
  const world = new MockWorld(ROOMS, MEMBERS)
  const bot = WechatyBuilder.build({ puppet: world.puppet })
  bot.on('error', () => {})
  bot.on('message', async (m) => {
    if (m.self() || m.text() !== '签到') return
    const id = m.talker().id
    const today = new Date().toISOString().slice(0, 10)
    const row = db.data.members[id] ?? { total: 0, streak: 0, lastDay: '' }
    db.data.members[id] = { total: row.total + 10, streak: row.streak + 1, lastDay: today }
    db.data.ledger.push({ member: id, delta: 10, at: Date.now() })
    writes++
    await db.write()
    await m.room()?.say(`${m.talker().name()} 签到成功 +10`)
  })
  const loggedIn = new Promise((r) => bot.once('login', r))
  await bot.start()
  world.login()
  await loggedIn
  try {
    const seconds = await burst(world)
    return { checkins: ROOMS * MEMBERS, seconds, writes, botMessages: world.botMessages }
  } finally {
    await bot.stop()
    await cleanup()
  }
}
