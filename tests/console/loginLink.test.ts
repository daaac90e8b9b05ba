import { stat, readFile, writeFile } from 'node:fs/promises'
import { Writable } from 'node:stream'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { startApp, type App } from '../../src/runtime/App.js'
import { freePort } from '../helpers/PuppetService.js'
import { capturedLog } from '../helpers/capturedLog.js'
import { tempDir } from '../helpers/tmp.js'

/**
 * Where the one-time console login link goes when no token is set (CONTRACT §8): on a
 * terminal, printed there; when stdout is no terminal (systemd, Docker: stdout is the journal)
 * into `<data>/console-login.url`, readable by its owner only, named in the log — never into
 * stdout or the log.
 */
describe('the one-time login link', () => {
  const stops: Array<() => Promise<void>> = []
  afterAll(async () => {
    for (const stop of stops.reverse()) await stop()
  })

  async function start(o: { tty: boolean }) {
    const { dir, cleanup } = await tempDir('siyu-login-link-')
    await writeFile(
      join(dir, 'bot.yaml'),
      `console: { port: ${await freePort()} }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills: { checkin: {} }
`,
    )
    const captured = capturedLog()
    const out: string[] = []
    const stdout = Object.assign(
      new Writable({
        write(chunk, _e, cb) {
          out.push(String(chunk))
          cb()
        },
      }),
      o.tty ? { isTTY: true } : {},
    )
    const mocker = new mock.Mocker()
    const bot = mocker.createContact({ name: '小助手', id: 'wxid_bot' })
    const app: App = await startApp({ configPath: join(dir, 'bot.yaml'), dataDir: join(dir, 'data'), env: {}, log: captured.log, puppet: new PuppetMock({ mocker }), stdout })
    mocker.login(bot)
    await app.runtime.ready
    stops.push(async () => {
      await app.stop()
      await cleanup()
    })
    return { app, out, logs: captured.lines, raw: captured.raw, dir }
  }

  it('stdout no terminal: a file of mode 600 named in the log, the link in neither stdout nor the log; each fresh link replaces it', async () => {
    const { app, out, logs, raw } = await start({ tty: false })
    // the log names the file (the data dir's; here the sandbox's sibling, as env names no puppet)
    const named = logs.find((l) => l.part === 'console' && typeof l.file === 'string')!
    expect(named).toMatchObject({ why: 'start' })
    const file = named.file as string
    expect(file.endsWith('/console-login.url')).toBe(true)
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    const link = (await readFile(file, 'utf8')).trim()
    expect(link).toMatch(new RegExp(`^${app.console!.url}/login\\?code=[\\w-]{40,}$`))
    const code = new URL(link).searchParams.get('code')!
    expect(out.join('')).not.toContain(code)
    expect(out.join('')).not.toContain('/login?code=')
    expect(raw.join('\n')).not.toContain(code)

    // used: the next link is written over it, still 600
    const r = await fetch(`${app.console!.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ code }) })
    expect(r.status).toBe(200)
    const next = (await readFile(file, 'utf8')).trim()
    expect(next).not.toBe(link)
    expect(next).toContain('/login?code=')
    expect((await stat(file)).mode & 0o777).toBe(0o600)
    expect(logs.filter((l) => l.file === file).map((l) => l.why)).toEqual(['start', 'next'])
    expect(raw.join('\n')).not.toContain(new URL(next).searchParams.get('code')!)
  })

  it('stdout a terminal: printed there (valid 10 minutes), no file', async () => {
    const { app, out, raw, dir } = await start({ tty: true })
    const printed = out.join('')
    const link = /http:\/\/127\.0\.0\.1:\d+\/login\?code=[\w-]+/.exec(printed)![0]
    expect(link.startsWith(app.console!.url)).toBe(true)
    expect(printed).toContain('10 分钟内有效')
    for (const data of ['data', 'data-sandbox']) await expect(stat(join(dir, data, 'console-login.url'))).rejects.toThrow(/ENOENT/)
    expect(raw.join('\n')).not.toContain(new URL(link).searchParams.get('code')!)
  })
})
