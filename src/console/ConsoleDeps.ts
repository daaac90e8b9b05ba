import { DateTime } from 'luxon'
import type { Logger } from 'pino'
import type { Clock } from '../clock/Clock.js'
import type { LoadedConfig } from '../config/loadConfig.js'
import type { Engine } from '../engine/Engine.js'
import type { SendQueue } from '../send/SendQueue.js'
import type { Store } from '../store/Store.js'

/** What the bot tells the console about its connection (read on every /healthz). */
export interface BotStatus {
  connected(): boolean
  loggedIn(): boolean
  /** Members in a room, as the puppet knows them; undefined when it cannot say. */
  memberCount(roomId: string): Promise<number | undefined>
}

/** Everything the console reads and changes: the running bot's parts, never a copy of them. */
export interface ConsoleDeps {
  engine: Engine
  store: Store
  queue: SendQueue
  clock: Clock
  log: Logger
  config: () => LoadedConfig
  bot: BotStatus
}

/** A refusal the API explains: 400 bad input, 404 unknown id, 409 a conflict, 503 not now. */
export class ApiError extends Error {
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 409 | 429 | 503,
    message: string,
  ) {
    super(message)
  }
}

/** ISO 8601 in the bot's time zone (the offset shows the operator's own clock). */
export function iso(deps: ConsoleDeps, ms: number): string {
  return DateTime.fromMillis(ms, { zone: deps.engine.time.zone }).toISO({ suppressMilliseconds: true }) ?? new Date(ms).toISOString()
}
