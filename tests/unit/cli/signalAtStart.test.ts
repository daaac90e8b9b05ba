import { spawn } from 'node:child_process'
import { readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { freePort } from '../../helpers/freePort.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * Ctrl+C (or a supervisor's SIGTERM) the moment the sandbox's banner shows — while the console
 * is still starting — stops the bot like any other time: exit 0 with its stop line. It once
 * went unheard (the listener was swapped between `early` and `shutdown`, and the bot ran on).
 */
describe('a signal while the bot is starting', () => {
  it('SIGTERM right at the sandbox banner (console on): the bot stops cleanly, exit 0', async () => {
    const { dir, cleanup } = await tempDir('siyu-signal-')
    try {
      const example = await readFile('config/bot.example.yaml', 'utf8')
      const config = join(dir, 'bot.yaml')
      const port = await freePort()
      expect(example).toMatch(/^ {2}port: 7350\b/m)
      // media are read beside the config, codes and knowledge from the working directory (the repo)
      await symlink(join(process.cwd(), 'config/media'), join(dir, 'media'), 'dir')
      await writeFile(config, example.replace(/^( {2}port: )7350\b/m, `$1${port}`))
      const bot = spawn(process.execPath, ['dist/src/cli/siyu.js', 'start', '--config', config, '--data', join(dir, 'data')], {
        env: { PATH: process.env.PATH, HOME: dir },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      const exited = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)))
      try {
        await new Promise<void>((resolve, reject) => {
          const onData = (chunk: Buffer): void => {
            out += chunk.toString()
            if (out.includes('Sandbox')) {
              bot.stdout.off('data', onData)
              bot.stdout.on('data', (c: Buffer) => (out += c.toString()))
              resolve()
            }
          }
          bot.stdout.on('data', onData)
          bot.stderr.on('data', (c: Buffer) => (out += c.toString()))
          void exited.then((code) => reject(new Error(`the bot exited (${code}) before its banner: ${out}`)))
        })
        bot.kill('SIGTERM')
        const code = await Promise.race([exited, new Promise<'still running'>((r) => setTimeout(() => r('still running'), 15_000))])
        expect(code, out.slice(-2000)).toBe(0)
        expect(out).toContain('"msg":"stopped"')
      } finally {
        if (bot.exitCode === null && bot.signalCode === null) bot.kill('SIGKILL')
        await exited
      }
    } finally {
      await cleanup()
    }
  }, 90_000)
})
