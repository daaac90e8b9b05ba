import { writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { Writable } from 'node:stream'
import { PuppetMock, mock } from 'wechaty-puppet-mock'
import { createLogger } from '../../src/log/logger.js'
import { startApp } from '../../src/runtime/App.js'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { SKILLS } from '../../skills/index.js'
import { parseConfig } from '../../src/config/loadConfig.js'
import { ConfigError, formatProblem } from '../../src/config/problems.js'
import { checkConsoleExposure } from '../../src/console/startConsole.js'
import { safeEqual } from '../../src/console/auth.js'
import { BotProcess } from '../helpers/BotProcess.js'
import { tempDir } from '../helpers/tmp.js'

const yaml = (console: string) => `bot:
  admins: [wxid_boss]
${console}
groups:
  - name: fans
    match: { topic: "粉丝*" }
`

const problems = (consoleSection: string, env: NodeJS.ProcessEnv): string[] => {
  try {
    checkConsoleExposure(parseConfig('bot.yaml', yaml(consoleSection), SKILLS), env)
    return []
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map(formatProblem)
    throw err
  }
}

describe('who may reach the console', () => {
  it('defaults: port 7350 on 127.0.0.1, token from SIYU_CONSOLE_TOKEN', () => {
    expect(parseConfig('bot.yaml', yaml(''), SKILLS).console).toEqual({ port: 7350, host: '127.0.0.1', tokenEnv: 'SIYU_CONSOLE_TOKEN', trustProxy: false })
    expect(problems('', {})).toEqual([])
  })

  it('another host without the token is a config error at console.host', () => {
    expect(problems('console:\n  host: 0.0.0.0', {})).toEqual([
      'bot.yaml:4:9: console.host 0.0.0.0 opens the console to other machines, but SIYU_CONSOLE_TOKEN is not set: set the token, or listen on 127.0.0.1',
    ])
    expect(problems('console:\n  host: 0.0.0.0', { SIYU_CONSOLE_TOKEN: 'a-long-enough-operator-token' })).toEqual([])
    expect(problems('console:\n  host: 0.0.0.0\n  port: 0', {})).toEqual([])
    expect(problems('console:\n  host: localhost', {})).toEqual([])
  })

  it('a short token is refused; tokenEnv is a name, not the token', () => {
    expect(problems('console:\n  tokenEnv: MY_TOKEN', { MY_TOKEN: 'short' })[0]).toContain('MY_TOKEN is 5 characters; a console token is at least 16')
    expect(() => parseConfig('bot.yaml', yaml('console:\n  tokenEnv: "sk-abc 123"'), SKILLS)).toThrow(/NAME of an environment variable/)
    expect(() => parseConfig('bot.yaml', yaml('console:\n  port: 70000'), SKILLS)).toThrow(/console.port is 0 \(off\) or a port/)
  })

  it('compares secrets whatever their lengths', () => {
    expect(safeEqual('abc', 'abc')).toBe(true)
    expect(safeEqual('abc', 'abd')).toBe(false)
    expect(safeEqual('abc', 'abcd')).toBe(false)
    expect(safeEqual('', 'x')).toBe(false)
  })

  it('a console port in use is a warning: the bot starts without its console', async () => {
    const { dir, cleanup } = await tempDir('siyu-console-busy-')
    const blocker = createServer()
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r))
    const port = (blocker.address() as { port: number }).port
    const lines: Array<Record<string, unknown>> = []
    const log = createLogger({ level: 'info', destination: new Writable({ write: (c, _e, cb) => (String(c).split('\n').filter(Boolean).forEach((l) => lines.push(JSON.parse(l))), cb()) }) })
    const mocker = new mock.Mocker()
    const puppet = new PuppetMock({ mocker })
    try {
      const config = join(dir, 'bot.yaml')
      await writeFile(config, yaml(`console:\n  port: ${port}`))
      const app = await startApp({ configPath: config, dataDir: join(dir, 'data'), env: {}, log, puppet, stdout: new Writable({ write: (_c, _e, cb) => cb() }) })
      expect(app.console).toBeUndefined()
      expect(lines.find((l) => String(l.msg).startsWith(`console port ${port} is in use`))).toMatchObject({ level: 40 })
      await app.stop()
    } finally {
      blocker.close()
      await cleanup()
    }
  })

  it('npm start exits 2 with file:line:col when the console would be open to others without a token', async () => {
    const { dir, cleanup } = await tempDir('siyu-console-exposed-')
    try {
      const config = join(dir, 'bot.yaml')
      await writeFile(config, yaml('console:\n  host: 0.0.0.0'))
      const bot = new BotProcess({ config, data: join(dir, 'data'), env: {}, home: dir })
      expect(await bot.exited).toBe(2)
      expect(bot.stderr.join('\n')).toContain(`${config}:4:9: console.host 0.0.0.0 opens the console to other machines`)
    } finally {
      await cleanup()
    }
  }, 30_000)
})
