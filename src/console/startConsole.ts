import { closeSync, constants, fchmodSync, fsyncSync, mkdirSync, openSync, writeSync } from 'node:fs'
import { dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Wechaty } from 'wechaty'
import type { Clock } from '../clock/Clock.js'
import type { LoadedConfig } from '../config/loadConfig.js'
import { ConfigError } from '../config/problems.js'
import type { Engine } from '../engine/Engine.js'
import type { SendQueue } from '../send/SendQueue.js'
import type { Store } from '../store/Store.js'
import type { ConsoleDeps } from './ConsoleDeps.js'
import { ConsoleServer, isLoopback } from './ConsoleServer.js'

/** A token shorter than this is refused: it guards every group's members and points. */
export const MIN_TOKEN_LENGTH = 16

/**
 * Refuse, before anything starts, a console that would be reachable from other machines
 * without a token, or a token too short to guard it (a config error: exit 2).
 */
export function checkConsoleExposure(config: LoadedConfig, env: NodeJS.ProcessEnv): void {
  const c = config.console
  if (c.port === 0) return
  const token = env[c.tokenEnv]
  const problem = (path: string[], message: string) =>
    config.problemAt?.(path, message) ?? { file: config.file, line: 1, col: 1, message, severity: 'error' as const }
  if (!token && !isLoopback(c.host)) {
    throw new ConfigError([problem(['console', 'host'], `console.host ${c.host} opens the console to other machines, but ${c.tokenEnv} is not set: set the token, or listen on 127.0.0.1`)])
  }
  if (token && token.length < MIN_TOKEN_LENGTH) {
    throw new ConfigError([problem(['console', 'tokenEnv'], `${c.tokenEnv} is ${token.length} characters; a console token is at least ${MIN_TOKEN_LENGTH} (e.g. openssl rand -hex 24)`)])
  }
}

export interface RunningConsole {
  url: string
  server: ConsoleServer
  close(): Promise<void>
}

/**
 * What the console uses of the bot's connection (src/runtime/WechatyRuntime.ts is one): told
 * here, so the console does not import the runtime that starts it.
 */
export interface ConsoleRuntime {
  readonly connected: boolean
  /** The puppet's send, which `/metrics` times by wrapping it. */
  send(conversationId: string, text: string, mentionIds: string[]): Promise<void>
}

export interface ConsoleParts {
  getConfig: () => LoadedConfig
  engine: Engine
  store: Store
  queue: SendQueue
  clock: Clock
  log: Logger
  runtime: ConsoleRuntime
  wechaty: Wechaty
}

/** What the console reads of a running bot. */
export function consoleDeps(o: ConsoleParts): ConsoleDeps {
  return {
    engine: o.engine,
    store: o.store,
    queue: o.queue,
    clock: o.clock,
    log: o.log,
    config: o.getConfig,
    bot: {
      connected: () => o.runtime.connected,
      loggedIn: () => o.wechaty.isLoggedIn,
      // the puppet's member list (cached by the puppet), not Room.find, which searches every room
      memberCount: async (roomId) => (await o.wechaty.puppet.roomMemberList(roomId)).length,
    },
  }
}

/** Time the puppet's sends (for /metrics); returns how to undo it. */
export function sendTimer(runtime: ConsoleRuntime) {
  return (timed: <T>(send: () => Promise<T>) => Promise<T>): (() => void) => {
    const send = runtime.send
    runtime.send = (to, text, mentionIds) => timed(() => send.call(runtime, to, text, mentionIds))
    return () => {
      runtime.send = send
    }
  }
}

/**
 * Start the console of a running bot, or log why not and go on without it: a busy port
 * must not keep the bot from its groups.
 */
export async function startConsole(
  o: ConsoleParts & {
    config: LoadedConfig
    env: NodeJS.ProcessEnv
    /** The terminal: one-time login links go here when it is one, never into the log. */
    out: NodeJS.WritableStream
    /**
     * Where login links go when `out` is no terminal (systemd, Docker: stdout is the journal):
     * a file only its owner may read, named in the log.
     */
    linkFile: string
    /** Print links on `out` even when it is no terminal (the sandbox: `out` is its screen). */
    alwaysPrint?: boolean
  },
): Promise<RunningConsole | undefined> {
  const settings = o.config.console
  if (settings.port === 0) return undefined
  const token = o.env[settings.tokenEnv] || undefined
  const log = o.log.child({ part: 'console' })
  const toTerminal = o.alwaysPrint === true || (o.out as { isTTY?: boolean }).isTTY === true
  const server = new ConsoleServer(consoleDeps({ ...o, log }), {
    // without a token nobody else may reach it: loopback only, whatever the config says
    host: token ? settings.host : isLoopback(settings.host) ? settings.host : '127.0.0.1',
    port: settings.port,
    token,
    trustProxy: settings.trustProxy,
    announce: (url, why) => {
      if (toTerminal) {
        const what = why === 'start' ? '一次性登录链接 one-time login link' : why === 'next' ? '下一个一次性登录链接 next one-time login link' : '新的一次性登录链接（旧的已过期）fresh one-time login link (the last one expired)'
        o.out.write(`控制台 Console: ${url}  (${what}, 10 分钟内有效 valid 10 minutes)\n`)
        return
      }
      try {
        writeLinkFile(o.linkFile, url)
        log.info({ file: o.linkFile, why }, 'the console’s one-time login link (valid 10 minutes) is in this file, readable by its owner only (stdout is no terminal)')
      } catch (err) {
        log.error({ err, file: o.linkFile }, 'could not write the console’s login link file; set a token (console.tokenEnv) to log in')
      }
    },
    wrapSend: sendTimer(o.runtime),
  })
  let url: string
  try {
    url = await server.start()
  } catch (err) {
    // a warning, not an error: the bot itself is fine, and says how to fix it
    const inUse = (err as NodeJS.ErrnoException).code === 'EADDRINUSE'
    log.warn(
      { err: inUse ? undefined : err, host: settings.host, port: settings.port },
      inUse ? `console port ${settings.port} is in use; the bot runs without its console (set console.port, or 0 to turn it off)` : 'the console could not start; the bot runs without it',
    )
    await server.close().catch(() => {})
    return undefined
  }
  if (token) {
    log.info({ url }, `console and API at ${url} (log in with the token in ${settings.tokenEnv})`)
    o.out.write(`控制台 Console: ${url}  (登录令牌 token: $${settings.tokenEnv})\n`)
  } else {
    log.info({ url }, toTerminal ? 'console at this URL; its one-time login link is printed on the terminal (no token set)' : 'console at this URL (no token set)')
    server.announce('start')
  }
  return { url, server, close: () => server.close() }
}

/**
 * Write a login link where only its owner can read it: created 0600 (and made 0600 if it
 * was there before), never through a symlink someone left in its place, replaced whole.
 */
export function writeLinkFile(file: string, url: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 })
  const fd = openSync(file, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o600)
  try {
    fchmodSync(fd, 0o600)
    writeSync(fd, `${url}\n`)
    fsyncSync(fd)
  } finally {
    closeSync(fd)
  }
}
