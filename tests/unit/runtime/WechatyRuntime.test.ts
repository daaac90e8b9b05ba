import { EventEmitter } from 'node:events'
import { Writable } from 'node:stream'
import pino from 'pino'
import { describe, expect, it } from 'vitest'
import { WechatyRuntime } from '../../../src/runtime/WechatyRuntime.js'
import { SendQueue } from '../../../src/send/SendQueue.js'
import { SystemClock } from '../../../src/clock/Clock.js'
import type { Engine } from '../../../src/engine/Engine.js'

describe('WechatyRuntime', () => {
  it('draws the login QR code on the terminal and logs its URL', async () => {
    const wechaty = Object.assign(new EventEmitter(), {
      start: async () => {},
      stop: async () => {},
      isLoggedIn: false,
    })
    const lines: Array<Record<string, unknown>> = []
    const log = pino({ level: 'info' }, new Writable({ write: (c, _e, done) => (lines.push(JSON.parse(String(c))), done()) }))
    const queue = new SendQueue({ send: async () => {} }, { clock: new SystemClock(), limits: false })
    const drawn: string[] = []
    const origWrite = process.stdout.write.bind(process.stdout)
    // qrcode-terminal prints with console.log
    const origLog = console.log
    console.log = (s: string) => void drawn.push(String(s))
    try {
      const runtime = new WechatyRuntime({ wechaty: wechaty as never, engine: {} as Engine, queue, log, drawQr: true })
      await runtime.start()
      wechaty.emit('scan', 'https://login.weixin.qq.com/l/abc123', 2)
      await new Promise((r) => setImmediate(r))
      await runtime.stopEvents(100)
    } finally {
      console.log = origLog
      process.stdout.write = origWrite
    }
    expect(lines.find((l) => l.msg === 'scan the QR code with the WeChat account the bot should use')?.url).toBe(
      `https://wechaty.js.org/qrcode/${encodeURIComponent('https://login.weixin.qq.com/l/abc123')}`,
    )
    expect(drawn.join('\n')).toMatch(/[▀▄█]/) // blocks of a QR code
  })
})
