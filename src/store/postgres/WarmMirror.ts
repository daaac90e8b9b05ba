import pg from 'pg'
import { dirMayHold, type DocLoader, type DocRows } from '../Documents.js'
import { splitKey, type Json } from '../StorageAdapter.js'
import { connectClient, endQuietly, type PgTarget } from './connection.js'
import type { PgNames } from './schema.js'

/**
 * What a standby keeps of the store while another process is active: every key and value,
 * followed as the active commits (LISTEN on the commit channel, and a poll in case a
 * notification was missed), so that at takeover the store loads from memory instead of
 * reading the whole database. Each commit stamps its rows with a sequence number, so
 * catching up is "rows with seq > the last one applied", deletions included (kept as NULL
 * values until purged; a standby that fell behind the purge reloads everything).
 */
export class WarmMirror {
  /** By key directory, as the Store keeps documents: a takeover hands them over as they are. */
  private readonly docs = new Map<string, DocRows>()
  /** Keys held. */
  size = 0
  applied = 0
  private loaded = false
  private client: pg.Client | undefined
  private chain: Promise<void> = Promise.resolve()
  private poll: NodeJS.Timeout | undefined
  private following = false

  constructor(
    private readonly target: PgTarget,
    private readonly names: PgNames,
    private readonly onWarning: (message: string) => void = () => {},
  ) {}

  /** Load everything, then follow the active's commits until `stop()`. */
  async start(pollMs = 5_000): Promise<void> {
    this.following = true
    await this.catchUp()
    this.poll = setInterval(() => void this.catchUp().catch((err: Error) => this.onWarning(`standby could not follow the store: ${err.message}`)), pollMs)
    this.poll.unref()
  }

  /** Apply every commit made since the last catch-up (a full load the first time). */
  catchUp(): Promise<void> {
    const next = this.chain.then(() => this.catchUpNow())
    this.chain = next.catch(() => {})
    return next
  }

  private async catchUpNow(): Promise<void> {
    const c = await this.connect()
    // one snapshot: the rows read and the sequence number they are complete up to agree
    await c.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
    try {
      const { rows } = await c.query<{ commit_seq: string; purged_seq: string }>(`SELECT commit_seq, purged_seq FROM ${this.names.lease} WHERE id = 1`)
      const seq = Number(rows[0]?.commit_seq ?? 0)
      const purged = Number(rows[0]?.purged_seq ?? 0)
      if (!this.loaded || this.applied < purged) {
        const all = await c.query<{ key: string; value: Json }>(`SELECT key, value FROM ${this.names.kv} WHERE value IS NOT NULL`)
        this.docs.clear()
        this.size = 0
        for (const r of all.rows) this.set(r.key, r.value)
      } else if (seq > this.applied) {
        const changed = await c.query<{ key: string; value: Json | null }>(`SELECT key, value FROM ${this.names.kv} WHERE seq > $1`, [this.applied])
        for (const r of changed.rows) this.set(r.key, r.value ?? undefined)
      }
      this.applied = seq
      this.loaded = true
      await c.query('COMMIT')
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {})
      this.drop()
      throw err
    }
  }

  private set(key: string, value: Json | undefined): void {
    const { dir, leaf } = splitKey(key)
    let rows = this.docs.get(dir)
    if (value === undefined) {
      if (rows?.delete(leaf)) this.size--
      if (rows?.size === 0) this.docs.delete(dir)
      return
    }
    if (!rows) this.docs.set(dir, (rows = new Map()))
    if (!rows.has(leaf)) this.size++
    rows.set(leaf, value)
  }

  private async connect(): Promise<pg.Client> {
    if (this.client) return this.client
    const client = await connectClient(this.target, { queryTimeoutMs: 120_000, applicationName: 'siyu standby' }, () => {
      if (this.client === client) this.drop()
    })
    client.on('notification', () => void this.catchUp().catch(() => {}))
    if (this.following) await client.query(`LISTEN ${pg.escapeIdentifier(this.names.commitChannel)}`)
    this.client = client
    return client
  }

  private drop(): void {
    const c = this.client
    this.client = undefined
    endQuietly(c)
  }

  /** Stop following (the mirror's data stays for the takeover's loads). */
  async stop(): Promise<void> {
    this.following = false
    if (this.poll) clearInterval(this.poll)
    await this.chain
    const c = this.client
    this.client = undefined
    if (c) await c.end().catch(() => {})
  }

  /** Every key under `prefix` with its value, sorted by key. */
  entries(prefix: string): Array<[string, Json]> {
    const out: Array<[string, Json]> = []
    for (const [dir, rows] of this.docs) {
      if (!dirMayHold(dir, prefix)) continue
      for (const [leaf, v] of rows) {
        const k = `${dir}/${leaf}`
        if (k.startsWith(prefix)) out.push([k, v])
      }
    }
    return out.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /**
   * The documents under `prefix`, handed over as they are (the mirror is dropped once the
   * store has them): a takeover costs a walk over the directories, not over the keys.
   */
  documents(prefix: string): Array<[string, DocLoader]> {
    const out: Array<[string, DocLoader]> = []
    for (const [dir, rows] of this.docs) {
      if ((dir + '/').startsWith(prefix)) out.push([dir, () => rows])
      else if (prefix.startsWith(dir + '/')) {
        // a directory above the prefix: only its keys under it
        const some: DocRows = new Map()
        for (const [leaf, v] of rows) if (`${dir}/${leaf}`.startsWith(prefix)) some.set(leaf, v)
        if (some.size > 0) out.push([dir, () => some])
      }
    }
    return out
  }
}
