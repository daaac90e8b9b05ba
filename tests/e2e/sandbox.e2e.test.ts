import { spawn } from 'node:child_process'
import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { freePort } from '../helpers/PuppetService.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'
import { trackProcess } from '../helpers/processRegistry.js'

const CONFIG = `bot:
  admins: [wxid_boss]
  name: 小助手
  friends: { accept: keywords, keywords: [进群], greeting: "你好 {name}，私信「进VIP群」" }
console:
  port: CONSOLE_PORT
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      ping: {}
      checkin: {}
      welcome: { batchSeconds: 1 }
      guard: {}
  - name: vip
    match: { topic: "/^VIP\\\\d+群$/" }
    skills:
      ping: { reply: "VIP pong {name}" }
      gate: { keywords: [进VIP群], inviteReply: "{name}，已邀请你加入{topic}" }
`

describe('npm start without a token opens the sandbox', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeAll(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-sandbox-'))
    await writeFile(join(dir, 'bot.yaml'), CONFIG.replace('CONSOLE_PORT', String(await freePort())))
  })
  afterAll(async () => cleanup())

  it('holds a room per group, lets the operator talk as members, and keeps running when stdin closes', async () => {
    const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: dir, LOG_LEVEL: 'info', SIYU_WATCH_PID: String(process.pid) }
    const child = spawn('npm', ['start', '--silent', '--', '--config', join(dir, 'bot.yaml'), '--data', join(dir, 'data')], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true, // its own process group, as in a terminal: Ctrl+C reaches npm and the bot
    })
    trackProcess(child, 'sandbox (npm start)') // the group is killed after the file if the test fails
    const out: string[] = []
    createInterface({ input: child.stdout! }).on('line', (l) => out.push(l))
    createInterface({ input: child.stderr! }).on('line', (l) => out.push(`stderr: ${l}`))
    const exited = new Promise<string>((r) => child.on('exit', (code, signal) => r(`${code ?? signal}`)))
    const seen = (s: string | RegExp) =>
      waitFor(() => out.find((l) => (typeof s === 'string' ? l.includes(s) : s.test(l))), { timeoutMs: 30_000, what: `${s} in ${out.join('\n')}` })

    await seen('To go live, set WECHATY_PUPPET_SERVICE_TOKEN')
    await seen('[1] 粉丝1  (group fans)')
    await seen(/\[2\] VIP\d+群 {2}\(group vip\)/)
    // the console is served too, its one-time login link printed for the newcomer
    const link = /http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]+/.exec(await seen('控制台 Console: http://127.0.0.1:'))![0]
    const code = new URL(link).searchParams.get('code')
    const login = await fetch(new URL('/login', link), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
    expect(login.status).toBe(200)
    expect(((await login.json()) as { secret?: string }).secret).toBeTruthy()
    const say = (line: string) => child.stdin!.write(`${line}\n`)
    say('ping')
    await seen('[粉丝1] 小助手: pong 我')
    say('/as Alice 签到')
    await seen('[粉丝1] 小助手: Alice 签到成功 +10，连续 1 天，共 10 分')
    say('/join Bob')
    await seen(/\[粉丝1\] 小助手: .*@Bob/)
    // rehearse guard: a link card as the current member earns a warning
    say('/link https://spam.example 好货')
    await seen('[粉丝1] 小助手: Alice 本群不允许发链接，再 2 次将被移出')
    say('/room 2')
    say('ping')
    await seen(/\[VIP\d+群\] 小助手: VIP pong Alice/)
    say('/as admin #stats')
    await seen('[VIP')
    // rehearse the gate: a friend request, then a private keyword
    say('/friend 小红 我想进群')
    await seen('[私信 → 小红] 小助手: 你好 小红，私信「进VIP群」')
    say('/dm 进VIP群')
    await seen(/\[私信 → 小红\] 小助手: 小红，已邀请你加入VIP\d+群/)
    child.stdin!.end()
    await seen('stdin closed: the sandbox bot keeps running')
    expect(child.exitCode).toBeNull()
    process.kill(-child.pid!, 'SIGINT') // Ctrl+C
    // the bot stops cleanly (its own exit is 0; npm itself reports the SIGINT it received)
    await seen('"msg":"stopped"')
    expect(['0', 'SIGINT']).toContain(await exited)
  }, 60_000)
})
