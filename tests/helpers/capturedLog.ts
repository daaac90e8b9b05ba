import { Writable } from 'node:stream'
import type { Logger } from 'pino'
import { createLogger } from '../../src/log/logger.js'

/** The bot's own logger (createLogger, at debug), writing into arrays a test can read. */
export function capturedLog(): { log: Logger; lines: Array<Record<string, unknown>>; raw: string[] } {
  const lines: Array<Record<string, unknown>> = []
  const raw: string[] = []
  const destination = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        raw.push(line)
        lines.push(JSON.parse(line) as Record<string, unknown>)
      }
      cb()
    },
  })
  return { log: createLogger({ level: 'debug', destination }), lines, raw }
}
