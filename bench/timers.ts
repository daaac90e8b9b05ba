import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import { DateTime } from 'luxon'
import pino from 'pino'
import type { mock } from 'wechaty-puppet-mock'
import { startApp } from '../src/runtime/App.js'
import { MockWorld, tempDir, until } from './lib.js'

const GROUPS = 50
const LIVES_PER_GROUP = 10

export interface TimersResult {
  reminders: number
  /** How late the timers fired (the job ran), worst and median, ms. */
  timerLateMaxMs: number
  timerLateP50Ms: number
  /** How late the last reminder reached the puppet under the default rate limits, ms. */
  lastDeliveredLateMs: number
  botMessages: number
}

/** 500 reminders due in the same instant across 50 groups, default rate limits. */
export async function timersRound(): Promise<TimersResult> {
  const { dir, cleanup } = await tempDir('siyu-timers-')
  const due = Date.now() + 15_000
  const iso = (ms: number) => DateTime.fromMillis(ms, { zone: 'Asia/Shanghai' }).toISO({ suppressMilliseconds: true })
  const groups = Array.from({ length: GROUPS }, (_, g) => {
    const lives = Array.from({ length: LIVES_PER_GROUP }, (_, k) => `          - { id: l${k}, title: 直播${g}-${k}, start: "${iso(due + 3_600_000)}" }`).join('\n')
    return `  - name: g${g}
    match: { topic: "bench-g${g}" }
    skills:
      live:
        remind: [1h]
        remindText: "【直播预告】{title} {in}后开播"
        lives:
${lives}`
  })
  await writeFile(join(dir, 'bot.yaml'), `bot:\n  admins: [wxid_admin]\ngroups:\n${groups.join('\n')}\n`)

  const queued: number[] = []
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const line of chunk.toString().split('\n')) {
          if (!line.includes('live reminder queued')) continue
          queued.push((JSON.parse(line) as { lateMs: number }).lateMs)
        }
        done()
      },
    }),
  )
  const world = new MockWorld(GROUPS, 5, (i) => `bench-g${i}`)
  let delivered = 0
  let lastAt = 0
  world.bot.on('message', (m: mock.MessageMock) => {
    if (m.payload.talkerId !== world.bot.id) return
    const n = (m.text() ?? '').split('\n').filter((l) => l.startsWith('【直播预告】')).length
    delivered += n
    if (n > 0) lastAt = Date.now()
  })
  const app = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log, puppet: world.puppet })
  world.login()
  await app.runtime.ready
  try {
    const total = GROUPS * LIVES_PER_GROUP
    if (!(await until(() => delivered >= total, 15_000 + 5 * 60_000))) throw new Error(`only ${delivered} of ${total} reminders delivered`)
    const sorted = [...queued].sort((a, b) => a - b)
    return {
      reminders: delivered,
      timerLateMaxMs: sorted[sorted.length - 1] ?? NaN,
      timerLateP50Ms: sorted[Math.floor(sorted.length / 2)] ?? NaN,
      lastDeliveredLateMs: lastAt - due,
      botMessages: world.botMessages,
    }
  } finally {
    await app.stop()
    await cleanup()
  }
}
