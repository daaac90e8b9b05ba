import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { Change } from '../store/StorageAdapter.js'
import type { ConsoleDeps } from './ConsoleDeps.js'

/**
 * The Prometheus metrics of `GET /metrics` (prom-client, its own registry). Counters of what
 * the engine counts are fed as it counts (Stats.onCount); the send queue's and the store's
 * numbers are read when scraped; latencies are timed around the puppet's send and the
 * storage adapter's commit (wrapped here, so the hot paths carry no metrics code).
 */
export class Metrics {
  readonly registry = new Registry()
  private readonly undo: Array<() => void> = []

  constructor(
    deps: ConsoleDeps,
    private readonly hooks: {
      wrapSend?: (timed: <T>(send: () => Promise<T>) => Promise<T>) => () => void
      /** The registries of the console sections that are on now (read when scraped). */
      sections?: () => Registry[]
    },
  ) {
    const r = [this.registry]
    const events = new Counter({ name: 'siyu_group_events_total', help: 'What the engine counted, by group and counter (as #stats shows it)', labelNames: ['group', 'counter'], registers: r })
    const messages = new Counter({ name: 'siyu_messages_seen_total', help: 'Messages seen in rooms of a configured group', registers: r })
    const checkins = new Counter({ name: 'siyu_checkins_total', help: 'Check-ins (first of the day per member and pool)', registers: r })
    const handoffs = new Counter({ name: 'siyu_handoffs_total', help: 'Questions handed off to people', registers: r })
    const removals = new Counter({ name: 'siyu_removals_total', help: 'Members removed by guard', registers: r })
    const named: Record<string, Counter> = { messages, checkins, handedOff: handoffs, removals }
    this.undo.push(
      deps.engine.stats.onCount((group, counter, n) => {
        events.inc({ group, counter }, n)
        named[counter]?.inc(n)
      }),
    )

    const queue = deps.queue
    let reported = 0
    new Counter({
      name: 'siyu_replies_sent_total',
      help: 'Messages the bot sent (a merged backlog is one)',
      registers: r,
      collect() {
        this.inc(Math.max(0, queue.stats.sent - reported))
        reported = queue.stats.sent
      },
    })
    new Gauge({ name: 'siyu_send_queue_depth', help: 'Texts waiting in the send queue', registers: r, collect() { this.set(queue.pending) } })
    new Gauge({ name: 'siyu_connected', help: '1 while the puppet is connected', registers: r, collect() { this.set(deps.bot.connected() ? 1 : 0) } })
    new Gauge({ name: 'siyu_logged_in', help: '1 while the WeChat account is logged in', registers: r, collect() { this.set(deps.bot.loggedIn() ? 1 : 0) } })

    const sendLatency = new Histogram({ name: 'siyu_send_latency_seconds', help: 'Time the puppet took to send one text', buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: r })
    if (hooks.wrapSend) this.undo.push(hooks.wrapSend((send) => timed(sendLatency, send)))

    const commitLatency = new Histogram({ name: 'siyu_store_commit_seconds', help: 'Time one group commit took to be durable', buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1], registers: r })
    const adapter = deps.store.adapter
    const commit = adapter.commit
    adapter.commit = (changes: readonly Change[]) => timed(commitLatency, () => commit.call(adapter, changes))
    this.undo.push(() => {
      adapter.commit = commit
    })
  }

  text(): Promise<string> {
    const sections = this.hooks.sections?.() ?? []
    return sections.length === 0 ? this.registry.metrics() : Registry.merge([this.registry, ...sections]).metrics()
  }

  get contentType(): string {
    return this.registry.contentType
  }

  close(): void {
    for (const u of this.undo.splice(0)) u()
    this.registry.clear()
  }
}

async function timed<T>(h: Histogram, work: () => Promise<T>): Promise<T> {
  const end = h.startTimer()
  try {
    return await work()
  } finally {
    end()
  }
}
