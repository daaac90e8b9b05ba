import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotProcess } from '../helpers/BotProcess.js'
import { trackProcess } from '../helpers/processRegistry.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

const CONFIG = `accounts:
  - id: helper1
    tokenEnv: SIYU_TOKEN_HELPER1
  - id: helper2
    tokenEnv: SIYU_TOKEN_HELPER2
bot:
  admins: [wxid_boss]
  name: 小助手
  takeoverSeconds: 2
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      ping: {}
      checkin: {}
`

describe('many accounts: the sandbox and the start', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-sandbox-accounts-'))
    await writeFile(join(dir, 'bot.yaml'), CONFIG)
  })
  afterAll(async () => cleanup())

  it('without tokens the sandbox simulates both accounts in each room; /logout rehearses a takeover, /login brings the account back', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', join(dir, 'bot.yaml'), '--data', join(dir, 'data')], {
      env: { PATH: process.env.PATH, HOME: dir, LOG_LEVEL: 'info' },
      stdio: ['pipe', 'pipe', 'pipe'],
    })
    trackProcess(child, 'sandbox with accounts') // stopped after the file if the test fails
    const out: string[] = []
    createInterface({ input: child.stdout! }).on('line', (l) => out.push(l))
    createInterface({ input: child.stderr! }).on('line', (l) => out.push(`stderr: ${l}`))
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
    try {
      const seen = (s: string | RegExp, from = 0) =>
        waitFor(() => out.slice(from).find((l) => (typeof s === 'string' ? l.includes(s) : s.test(l))), { timeoutMs: 30_000, what: `${s} in ${out.join('\n')}` })
      const say = (line: string) => child.stdin!.write(`${line}\n`)
      await seen('accounts: helper1, helper2')
      for (const a of ['helper1', 'helper2']) await seen(new RegExp(`"account":"${a}".*"msg":"account online"`))
      say('ping')
      await seen('[粉丝1] 小助手(helper1): pong 我')
      say('/logout helper1')
      await seen('helper1 is out')
      const mark = out.length
      say('/as Alice 签到')
      await seen('"msg":"room taken over by another account"', mark)
      await seen('[粉丝1] 小助手(helper2): Alice 签到成功 +10，连续 1 天，共 10 分', mark)
      say('/login helper1')
      await seen('"msg":"room handed to another account"', mark)
      const back = out.length
      say('ping')
      await seen('[粉丝1] 小助手(helper1): pong Alice', back)
      // one answer each: helper2 never answered the pings, helper1 not the check-in
      expect(out.filter((l) => l.includes(': pong '))).toEqual(['[粉丝1] 小助手(helper1): pong 我', '[粉丝1] 小助手(helper1): pong Alice'])
      expect(out.filter((l) => l.includes('签到成功'))).toHaveLength(1)
    } finally {
      child.kill('SIGTERM')
      await exited
    }
  }, 60_000)

  it('an account whose token variable is not set stops the start: exit 2, at the line that names it', async () => {
    const bot = new BotProcess({ config: join(dir, 'bot.yaml'), data: join(dir, 'data-live'), home: dir, env: { SIYU_TOKEN_HELPER1: 'insecure_x' } })
    expect(await bot.exited).toBe(2)
    expect(bot.stderr).toContain(`${join(dir, 'bot.yaml')}:5:15: account helper2: the environment variable SIYU_TOKEN_HELPER2 is not set (it holds this account's puppet service token)`)
  }, 30_000)
})
