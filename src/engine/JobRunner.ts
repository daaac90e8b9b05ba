import type { Logger } from 'pino'
import { isDeepStrictEqual } from 'node:util'
import type { Clock, Timer } from '../clock/Clock.js'
import { segment, type Namespace } from '../store/Store.js'
import type { Json } from '../store/StorageAdapter.js'
import { DEFAULT_MAX_LATE_MS, JOB_RETAIN_MS, type Job, type JobPlanner, type PlanOptions } from './jobs.js'

/**
 * Durable jobs (YAGPDB-style): every planned job is a record in the store
 * (`core/jobs/<skill>/<group>/<id>`) and a timer is only its alarm clock. After a restart or
 * a reload the records re-arm the timers; a job found overdue runs if it is at most
 * `maxLateMs` late and is marked missed otherwise. A job fires at most once per plan.
 */
export class JobRunner {
  private readonly timers = new Map<string, Timer>()
  private enabled: (skill: string, group: string) => boolean = () => false
  /** Until released, due jobs wait: after a start the rooms are not known before the login. */
  private held = true
  private readonly waiting = new Set<string>()
  /** Planned jobs that retry an action whose account was away (`wakeWhenOnline`). */
  private readonly wakeable = new Set<string>()

  constructor(
    private readonly ns: Namespace,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly onDue: (job: Job) => Promise<void>,
  ) {}

  planner(skill: string, group: string): JobPlanner {
    return {
      plan: (id, at, data, options) => this.plan(skill, group, id, at, data ?? null, options),
      cancel: (id) => this.cancel(skill, group, id),
      forget: (id) => this.forget(skill, group, id),
      get: (id) => this.ns.get<Job>(this.key(skill, group, id)),
      list: () => this.ns.entries<Job>(this.prefix(skill, group)).map(([, j]) => j),
    }
  }

  /** (Re-)arm timers for every planned job of an enabled skill and group. */
  armAll(enabled: (skill: string, group: string) => boolean): void {
    this.enabled = enabled
    for (const t of this.timers.values()) t.cancel()
    this.timers.clear()
    this.wakeable.clear()
    for (const [key, job] of this.ns.entries<Job>()) {
      if (job.state === 'planned' && enabled(job.skill, job.group)) this.arm(key, job)
    }
  }

  /** Fire now every planned job that waits for an account to come back (see PlanOptions.wakeWhenOnline). */
  wakeWaiting(): void {
    for (const key of [...this.wakeable]) {
      this.timers.get(key)?.cancel()
      this.fire(key)
    }
  }

  /** Let due jobs run (the rooms are known now); those that waited run at once. */
  release(): void {
    if (!this.held) return
    this.held = false
    const due = [...this.waiting]
    this.waiting.clear()
    for (const key of due) this.fire(key)
  }

  /**
   * Delete job records that are over: finished (or never run) and older than `retainMs`.
   * Skills that keep a done job's record as a fact (live: "this slot was sent") forget their
   * own earlier; this also clears jobs of skills and groups no longer configured.
   */
  sweep(now: number, retainMs = JOB_RETAIN_MS): number {
    let removed = 0
    for (const [key, job] of this.ns.entries<Job>('', false)) {
      if (Math.max(job.at, job.firedAt ?? 0) >= now - retainMs) continue
      if (job.state === 'planned' && this.timers.has(key)) continue
      this.ns.delete(key)
      removed++
    }
    return removed
  }

  stop(): void {
    for (const t of this.timers.values()) t.cancel()
    this.timers.clear()
  }

  private plan(skill: string, group: string, id: string, at: number, data: Json, options: PlanOptions = {}): void {
    const key = this.key(skill, group, id)
    const old = this.ns.get<Job>(key)
    if (old && old.at === at && isDeepStrictEqual(old.data, data) && old.state !== 'cancelled') return
    const job: Job = { id, skill, group, at, data, state: 'planned', maxLateMs: options.maxLateMs ?? DEFAULT_MAX_LATE_MS, ...(options.wakeWhenOnline ? { wakeWhenOnline: true as const } : {}) }
    this.ns.set(key, job)
    if (this.enabled(skill, group)) this.arm(key, job)
  }

  private cancel(skill: string, group: string, id: string): void {
    const key = this.key(skill, group, id)
    this.timers.get(key)?.cancel()
    this.timers.delete(key)
    this.wakeable.delete(key)
    const old = this.ns.get<Job>(key)
    if (old && old.state === 'planned') this.ns.set(key, { ...old, state: 'cancelled' })
  }

  /** Cancel and delete every job `test` picks (a forgotten member's pending invite or removal). Returns how many. */
  forgetWhere(test: (job: Job) => boolean): number {
    let n = 0
    for (const [key, job] of this.ns.entries<Job>('')) {
      if (!test(job)) continue
      this.timers.get(key)?.cancel()
      this.timers.delete(key)
      this.ns.delete(key)
      n++
    }
    return n
  }

  private forget(skill: string, group: string, id: string): void {
    const key = this.key(skill, group, id)
    this.timers.get(key)?.cancel()
    this.timers.delete(key)
    this.wakeable.delete(key)
    this.ns.delete(key)
  }

  private arm(key: string, job: Job): void {
    this.timers.get(key)?.cancel()
    this.timers.set(key, this.clock.at(job.at, () => this.fire(key)))
    if (job.wakeWhenOnline) this.wakeable.add(key)
    else this.wakeable.delete(key)
  }

  private fire(key: string): void {
    this.timers.delete(key)
    this.wakeable.delete(key)
    if (this.held) {
      this.waiting.add(key)
      return
    }
    const job = this.ns.get<Job>(key)
    if (!job || job.state !== 'planned') return
    const now = this.clock.now()
    const late = now - job.at
    if (late > job.maxLateMs) {
      this.ns.set<Job>(key, { ...job, state: 'missed', firedAt: now })
      this.log.warn({ job: job.id, skill: job.skill, group: job.group, lateMs: late }, 'job fell due while the bot was down and is too late now; skipped')
      return
    }
    const fired: Job = { ...job, state: 'fired', firedAt: now }
    this.ns.set(key, fired)
    this.onDue(fired).catch((err: unknown) => this.log.error({ err, job: job.id, skill: job.skill }, 'job failed'))
  }

  /** `<skill>/<group>/`, relative to `core/jobs/`. */
  private prefix(skill: string, group: string): string {
    return `${segment(skill)}/${segment(group)}/`
  }

  private key(skill: string, group: string, id: string): string {
    return this.prefix(skill, group) + segment(id)
  }
}
