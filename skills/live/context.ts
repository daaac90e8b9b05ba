import { DEFAULT_MAX_LATE_MS } from '../../src/engine/jobs.js'
import type { GroupContext } from '../../src/engine/Skill.js'
import type { LiveConfig } from './config.js'

/**
 * What the live skill keeps in memory per group (not durable): the deliveries this process
 * has handed to the send queue. A `queued` delivery in the store that is NOT in here was
 * queued by an earlier process, which is gone: that is how a restart is told from a reload.
 */
export class LiveMemory {
  readonly inFlight = new Set<string>()
}

export type LiveCtx = GroupContext<LiveConfig, LiveMemory>

/** The contract's bound: something that fell due while the bot was down is sent at most this late. */
export const MAX_LATE_MS = DEFAULT_MAX_LATE_MS

/** Old lives (started this long ago) are forgotten: their jobs, deliveries and subscriptions. */
export const RETAIN_MS = 30 * 24 * 3600_000
