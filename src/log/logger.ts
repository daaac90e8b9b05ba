import pino, { type Logger } from 'pino'

/**
 * pino JSON lines on stdout (pretty when stdout is a terminal); `LOG_LEVEL` sets the level.
 * Redaction is a second line of defence: secrets are never put into log objects at all.
 */
export function createLogger(options: { level?: string; pretty?: boolean; destination?: NodeJS.WritableStream } = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info'
  const pretty = options.pretty ?? (process.stdout.isTTY === true && !options.destination)
  const base = {
    level,
    base: { app: 'siyu' },
    redact: {
      paths: ['apiKey', '*.apiKey', 'token', '*.token', 'authorization', '*.authorization', 'headers.authorization', 'err.config.headers'],
      censor: '[redacted]',
    },
  }
  if (pretty) {
    return pino({
      ...base,
      transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,app' } },
    })
  }
  return options.destination ? pino(base, options.destination as pino.DestinationStream) : pino(base)
}

export const silentLogger: Logger = pino({ level: 'silent' })
