import { spawn } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import setup from '../globalSetup.js'
import { BotProcess } from '../helpers/BotProcess.js'
import { alive, readRecords, RUN_DIR_ENV, stopTracked, trackProcess } from '../helpers/processRegistry.js'
import { tempDir } from '../helpers/tmp.js'
import { waitFor } from '../helpers/waitFor.js'

/** A process group like `npm start`'s: a leader (sh) with a long-lived child. */
function spawnGroup() {
  const child = spawn('sh', ['-c', 'sleep 300 & wait'], { detached: true, stdio: 'ignore' })
  trackProcess(child, 'test group (sh + sleep)')
  return child
}

const pgrpOf = (pid: number) => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])
  } catch {
    return undefined
  }
}

describe('npm test leaves nothing running', () => {
  it('the per-file teardown kills what a test left behind, its whole process group included', async () => {
    const child = spawnGroup()
    const record = { pid: child.pid!, start: '', leader: true, what: 'group' }
    await waitFor(() => alive(record).length === 2, { what: 'sh and its sleep running' })
    const sleepPid = alive(record).find((p) => p !== child.pid)!
    // the leader dies alone (as npm killed without its group): the child lives on in the group
    process.kill(child.pid!, 'SIGKILL')
    await waitFor(() => pgrpOf(sleepPid) === child.pid && alive(record).length === 1, { what: 'the orphan left in the group' })

    expect(await stopTracked()).toEqual([`test group (sh + sleep) (pid ${child.pid})`])
    expect(alive(record)).toEqual([])
  })

  it('the global teardown fails the run when a recorded process is still alive, and kills it', async () => {
    const saved = { dir: process.env[RUN_DIR_ENV], exitCode: process.exitCode, error: console.error }
    const said: string[] = []
    console.error = (s: string) => void said.push(String(s))
    try {
      const teardown = setup() // a run of its own: a fresh run folder
      const child = spawnGroup()
      const [record] = readRecords(process.env[RUN_DIR_ENV]!)
      expect(record).toMatchObject({ pid: child.pid, leader: true })
      await waitFor(() => alive(record!).length === 2, { what: 'the group running' })
      await teardown()
      expect(process.exitCode).toBe(1)
      expect(said.join('\n')).toMatch(new RegExp(`npm test left 1 process\\(es\\) running; killed them now:\\n  test group \\(sh \\+ sleep\\): pid ${child.pid}`))
      await waitFor(() => alive(record!).length === 0, { what: 'the group killed' })
      await stopTracked()
    } finally {
      process.env[RUN_DIR_ENV] = saved.dir
      process.exitCode = saved.exitCode
      console.error = saved.error
    }
  })

  describe('the bot stops by itself when the process that started it is gone (SIYU_WATCH_PID)', () => {
    let cleanup: (() => Promise<void>) | undefined
    afterAll(async () => cleanup?.())

    it('a sandbox bot with stdin closed keeps running, until its watched process dies: then it stops cleanly', async () => {
      const t = await tempDir('siyu-watch-')
      cleanup = t.cleanup
      writeFileSync(join(t.dir, 'bot.yaml'), 'groups:\n  - name: fans\n    match: { topic: "粉丝*" }\n    skills: { ping: {} }\n')
      const parent = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' })
      trackProcess(parent, 'stand-in parent')
      // no token: the sandbox, with stdin closed (BotProcess ignores it)
      const bot = new BotProcess({ config: join(t.dir, 'bot.yaml'), data: join(t.dir, 'data'), env: { SIYU_WATCH_PID: String(parent.pid) }, home: t.dir })
      await bot.ready()
      await waitFor(() => bot.stdout.find((l) => l.includes('stdin closed: the sandbox bot keeps running')), { what: 'the sandbox noticing stdin closed' })
      expect(await Promise.race([bot.exited, new Promise((r) => setTimeout(() => r('running'), 1_500))])).toBe('running')

      parent.kill('SIGKILL')
      expect(await bot.exited).toBe(0)
      expect(bot.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(['the process that started the bot (SIYU_WATCH_PID) is gone; stopping', 'stopped']))
    }, 120_000)
  })
})
