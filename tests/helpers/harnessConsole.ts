import { ConsoleServer } from '../../src/console/ConsoleServer.js'
import type { ConsoleDeps } from '../../src/console/ConsoleDeps.js'
import { silentLogger } from '../../src/log/logger.js'
import type { Logger } from 'pino'
import type { Harness } from './harness.js'

export const HARNESS_TOKEN = 'harness-console-token-0123456789'

/** The console's deps over a harness (the real engine and store on the fake clock). */
export function harnessDeps(h: Harness, log: Logger = silentLogger): ConsoleDeps {
  return {
    engine: h.engine,
    store: h.store,
    queue: h.queue,
    clock: h.clock,
    log,
    config: () => h.engine.currentConfig,
    bot: { connected: () => true, loggedIn: () => true, memberCount: async () => undefined },
  }
}

/**
 * The real ConsoleServer (auth, zod validation, OpenAPI, error mapping) over a harness, on
 * 127.0.0.1 and a free port: API tests whose data comes from events on the fake clock.
 */
export async function harnessConsole(h: Harness, log?: Logger) {
  const server = new ConsoleServer(harnessDeps(h, log), { host: '127.0.0.1', port: 0, token: HARNESS_TOKEN, announce: () => {} })
  const base = await server.start()
  const call = async (method: string, path: string, body?: unknown) => {
    const headers: Record<string, string> = { authorization: `Bearer ${HARNESS_TOKEN}` }
    if (body !== undefined) headers['content-type'] = 'application/json'
    const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) })
    const buffer = Buffer.from(await res.arrayBuffer())
    const text = buffer.toString('utf8')
    let json: any
    try {
      json = JSON.parse(text)
    } catch {
      json = undefined
    }
    return { status: res.status, json, text, buffer, headers: res.headers }
  }
  return { server, base, call, close: () => server.close() }
}
