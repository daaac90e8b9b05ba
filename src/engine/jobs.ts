import type { Json } from '../store/StorageAdapter.js'

export type JobState = 'planned' | 'fired' | 'missed' | 'cancelled'

/** A planned piece of work kept in the store, so it survives restarts and reloads. */
export interface Job {
  id: string
  skill: string
  group: string
  /** When it falls due (ms since epoch). */
  at: number
  data: Json
  state: JobState
  /** How late it may still run after a restart (ms); later than that it is missed. */
  maxLateMs: number
  firedAt?: number
  /** Fire early when an account comes back (see PlanOptions.wakeWhenOnline). */
  wakeWhenOnline?: true
}

export interface PlanOptions {
  maxLateMs?: number
  /**
   * This job retries an action that found its account away (NotConnectedError): it fires at
   * `at` at the latest, and at once when an account logs in or a room changes hands.
   */
  wakeWhenOnline?: boolean
}

/** A skill's jobs for one group. */
export interface JobPlanner {
  /** Plan (or re-plan) a job. A fired job is not re-planned unless `at` changed. */
  plan(id: string, at: number, data?: Json, options?: PlanOptions): void
  cancel(id: string): void
  /** Cancel it if planned and delete its record (old jobs a skill no longer needs to remember). */
  forget(id: string): void
  get(id: string): Job | undefined
  list(): Job[]
}

/** Ten minutes: the contract's bound for sending something that fell due while the bot was down. */
export const DEFAULT_MAX_LATE_MS = 10 * 60_000

/** Job records older than this are deleted by the sweep (longer than live keeps its past lives). */
export const JOB_RETAIN_MS = 40 * 24 * 3600_000
