import type pg from 'pg'
import { isConnectionError, parsePgUrl, redactUrl, type PgTarget } from './postgres/connection.js'
import { PgSession } from './postgres/PgSession.js'
import { migrate, pgNames, type PgNames } from './postgres/schema.js'
import { WarmMirror } from './postgres/WarmMirror.js'
import { rowsOf, type DocLoader } from './Documents.js'
import { assertKey, type Change, type CommitFailure, type Json, type StorageAdapter, type StoreMetrics } from './StorageAdapter.js'

export interface PostgresAdapterOptions {
  onWarning?: (message: string) => void
  /** Rows per INSERT statement inside one commit's transaction (default 5,000). */
  chunkRows?: number
  /** Deleted keys are kept (for a standby catching up) this many commits, then purged (default 10,000). */
  keepDeletionsForCommits?: number
  /** Look for deletions to purge every this many commits (default 1,000). */
  purgeEveryCommits?: number
}

/** A commit refused because another process holds the lease now: this one must stop. */
export class FencedError extends Error {
  constructor(readonly token: number) {
    super(`commit refused: the lease (token ${token}) is no longer held by this process`)
    this.name = 'FencedError'
  }
}

/**
 * The store in PostgreSQL (`--store postgres://…`): one row per key in `siyu_kv`
 * (`key text COLLATE "C"`, `value json`: kept as written, key order included).
 *
 * - Every `commit` is one transaction on one connection, in call order; it resolves only
 *   once PostgreSQL has committed it (synchronous_commit as the server has it, on by
 *   default), so nothing is confirmed in chat before it is stored.
 * - With a fencing token (`fence(token)`, set by the lease keeper), the transaction first
 *   bumps the commit counter in the lease row *where token = ours*; another process having
 *   taken the lease makes that update find no row, and the whole commit is rolled back.
 * - Prefix scans are key ranges (`key >= p AND key < p'`), which the primary key index
 *   serves in byte order — no LIKE, whose `_` and `%` appear in contact ids and keys.
 * - A lost connection is retried (the commit waits, holding what it would confirm) until the
 *   database is back or the adapter is closed.
 * - Tables are created or migrated at open (`siyu_schema_version`).
 */
export class PostgresAdapter implements StorageAdapter {
  readonly metrics: StoreMetrics = { commits: 0, fileWrites: 0 }
  readonly names: PgNames
  readonly target: PgTarget
  /** Called when a commit was refused by the fence. */
  onFenced: ((err: FencedError) => void) | undefined
  private readonly session: PgSession
  private token: number | undefined
  private mirror: WarmMirror | undefined
  private opened = false
  private sinceLastPurge = 0

  constructor(
    readonly url: string,
    private readonly options: PostgresAdapterOptions = {},
  ) {
    this.target = parsePgUrl(url)
    this.names = pgNames(this.target.schema)
    this.session = new PgSession(this.target, {
      onWarning: (m) => options.onWarning?.(`${redactUrl(url)}: ${m}`),
      // a client that dies inside a commit must not keep the lease row locked for long
      idleInTransactionMs: 10_000,
      queryTimeoutMs: 120_000,
      applicationName: 'siyu',
    })
  }

  /** Where the data is, for logs: the URL without its password. */
  get where(): string {
    return redactUrl(this.url)
  }

  async open(): Promise<void> {
    await this.session.run((c) => migrate(c, this.names))
    this.opened = true
  }

  /** From now on every commit checks that this process still holds the lease `token`. */
  fence(token: number): void {
    this.token = token
  }

  /**
   * Standby: load everything and follow the active's commits, so that a takeover loads the
   * store from memory. `takeOver()` brings it up to date once the lease is ours.
   */
  async warm(): Promise<void> {
    if (this.mirror) return
    this.mirror = new WarmMirror(this.target, this.names, (m) => this.options.onWarning?.(m))
    await this.mirror.start()
  }

  /** The lease is ours (fenced: the old active can commit nothing more): catch up, stop following. */
  async takeOver(): Promise<void> {
    if (!this.mirror) return
    await this.mirror.catchUp()
    await this.mirror.stop()
  }

  /** Free the standby's copy once the store has loaded what it needs (later loads read the database). */
  dropMirror(): void {
    this.mirror = undefined
  }

  /** Keys held by a standby's mirror (0 when none): for logs and benches. */
  get mirrored(): number {
    return this.mirror?.size ?? 0
  }

  read(key: string): Promise<Json | undefined> {
    return this.session.run(
      async (c) => {
        const { rows } = await c.query<{ value: Json | null }>(`SELECT value FROM ${this.names.kv} WHERE key = $1`, [key])
        return rows[0]?.value ?? undefined
      },
      { retry: true },
    )
  }

  async entries(prefix: string): Promise<Array<[string, Json]>> {
    if (this.mirror) return this.mirror.entries(prefix)
    const { where, params } = prefixRange(prefix)
    // in the session's order: a load never overtakes a commit handed over before it
    const rows = await this.session.run(
      async (c) => (await c.query<{ key: string; value: Json }>(`SELECT key, value FROM ${this.names.kv} WHERE value IS NOT NULL${where}`, params)).rows,
      { retry: true },
    )
    // the database sorts bytes; the contract sorts as JavaScript compares strings
    return rows.map((r): [string, Json] => [r.key, r.value]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  }

  /**
   * The documents (key directories) under `prefix`, each parsed when first needed: the rows come
   * as text and are joined into one JSON object per directory, parsed in one go. That costs
   * less than a JSON.parse per row, and keeps a document's values together in memory — rows
   * parsed one by one as they arrive lie scattered between the driver's garbage, which made
   * every scan of a big pool 5–8× slower than on the file store (bench/RESULTS.md).
   */
  async loadDocuments(prefix: string): Promise<Array<[string, DocLoader]>> {
    if (this.mirror) return this.mirror.documents(prefix)
    const { where, params } = prefixRange(prefix)
    const rows = await this.session.run(
      async (c) =>
        (await c.query<[string, string]>({ text: `SELECT key, value::text FROM ${this.names.kv} WHERE value IS NOT NULL${where}`, values: params, rowMode: 'array' }))
          .rows,
      { retry: true },
    )
    const parts = new Map<string, string[]>()
    for (const [key, text] of rows) {
      const cut = key.lastIndexOf('/')
      const dir = key.slice(0, cut)
      const leaf = key.slice(cut + 1)
      let p = parts.get(dir)
      if (!p) parts.set(dir, (p = []))
      p.push(`${NEEDS_ESCAPE.test(leaf) ? JSON.stringify(leaf) : `"${leaf}"`}:${text}`)
    }
    rows.length = 0
    const out: Array<[string, DocLoader]> = []
    for (const [dir, p] of parts) {
      let text: string | undefined = `{${p.join(',')}}`
      parts.delete(dir)
      out.push([
        dir,
        () => {
          const rows = rowsOf(JSON.parse(text!) as Record<string, Json>)
          text = undefined
          return rows
        },
      ])
    }
    return out
  }

  commit(changes: readonly Change[]): Promise<void> {
    if (!this.opened) return Promise.reject(new Error('PostgreSQL store is not open'))
    // serialize now (the caller may change its objects once we return); the last change of a key wins
    const latest = new Map<string, string | null>()
    try {
      for (const c of changes) {
        assertKey(c.key)
        latest.set(c.key, c.value === undefined ? null : JSON.stringify(c.value))
      }
    } catch (err) {
      return Promise.reject(err as Error)
    }
    const keys = [...latest.keys()]
    const values = [...latest.values()]
    const token = this.token
    return this.session.run(
      async (c) => {
        const chunk = this.options.chunkRows ?? 5_000
        if (keys.length <= chunk) await this.commitOneStatement(c, keys, values, token)
        else await this.commitInChunks(c, keys, values, token, chunk)
        this.metrics.commits++
        this.metrics.fileWrites++
        if (++this.sinceLastPurge >= (this.options.purgeEveryCommits ?? 1_000)) await this.purge(c)
      },
      { retry: true },
    )
  }

  /**
   * The usual commit, in one round trip: one statement is one transaction. The fence's UPDATE
   * of the lease row comes first (it takes the row's lock, which orders the commits' seq); when
   * it finds no row (another process holds the lease) the join with it leaves nothing to write.
   */
  private async commitOneStatement(c: pg.Client, keys: string[], values: Array<string | null>, token: number | undefined): Promise<void> {
    const n = this.names
    const { rows } = await c.query<{ seq: string | null }>(
      `WITH fence AS (UPDATE ${n.lease} SET commit_seq = commit_seq + 1 WHERE id = 1 ${token === undefined ? '' : 'AND token = $4'} RETURNING commit_seq),
            written AS (INSERT INTO ${n.kv} (key, value, seq)
              SELECT t.k, t.v, fence.commit_seq FROM unnest($1::text[], $2::json[]) AS t(k, v) CROSS JOIN fence
              ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, seq = EXCLUDED.seq
              RETURNING 1),
            told AS (SELECT pg_notify($3, commit_seq::text) FROM fence)
       SELECT (SELECT commit_seq FROM fence) AS seq, (SELECT count(*) FROM written) AS n, (SELECT count(*) FROM told) AS t`,
      token === undefined ? [keys, values, n.commitChannel] : [keys, values, n.commitChannel, token],
    )
    if (rows[0]?.seq == null) this.fenced(token)
  }

  /** A commit too large for one statement: several, inside one transaction. */
  private async commitInChunks(c: pg.Client, keys: string[], values: Array<string | null>, token: number | undefined, chunk: number): Promise<void> {
    const n = this.names
    await c.query('BEGIN')
    try {
      const fence = await c.query<{ commit_seq: string }>(
        `UPDATE ${n.lease} SET commit_seq = commit_seq + 1 WHERE id = 1 ${token === undefined ? '' : 'AND token = $1'} RETURNING commit_seq`,
        token === undefined ? [] : [token],
      )
      if (fence.rowCount !== 1) this.fenced(token)
      const seq = fence.rows[0]!.commit_seq
      for (let i = 0; i < keys.length; i += chunk) {
        await c.query(
          `INSERT INTO ${n.kv} (key, value, seq) SELECT k, v, $3 FROM unnest($1::text[], $2::json[]) AS t(k, v)
           ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, seq = EXCLUDED.seq`,
          [keys.slice(i, i + chunk), values.slice(i, i + chunk), seq],
        )
      }
      await c.query('SELECT pg_notify($1, $2)', [n.commitChannel, seq])
      await c.query('COMMIT')
    } catch (err) {
      await c.query('ROLLBACK').catch(() => {})
      throw err
    }
  }

  /**
   * A failed commit by its SQLSTATE: class 22 (data exception: a NUL character in a key,
   * "invalid byte sequence for encoding UTF8: 0x00") and 54 (program limit: a key too long for
   * the index) are about the data and will fail again; a lost connection, 40 (serialization,
   * deadlock), 53 (disk full, out of memory or connections), 58 (I/O error), a statement
   * timeout or a lock not available are worth retrying. The fence is neither (the lease is lost).
   */
  failureOf(err: Error): CommitFailure | undefined {
    if (err instanceof FencedError) return undefined
    if (isConnectionError(err)) return 'transient'
    const code = (err as { code?: unknown }).code
    if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined
    const cls = code.slice(0, 2)
    if (cls === '22' || cls === '54') return 'refused'
    if (cls === '40' || cls === '53' || cls === '58' || code === '57014' || code === '55P03') return 'transient'
    return undefined
  }

  private fenced(token: number | undefined): never {
    const err = new FencedError(token ?? 0)
    this.onFenced?.(err)
    throw err
  }

  /**
   * Forget deletions older than `keepDeletionsForCommits` commits, and say so in the lease row
   * (a standby behind that point reloads everything). One statement: one transaction.
   */
  private async purge(c: pg.Client, keep = this.options.keepDeletionsForCommits ?? 10_000): Promise<void> {
    this.sinceLastPurge = 0
    await c.query(
      `WITH h AS (SELECT commit_seq - $1 AS horizon FROM ${this.names.lease} WHERE id = 1 AND commit_seq > $1),
            gone AS (DELETE FROM ${this.names.kv} WHERE value IS NULL AND seq <= (SELECT horizon FROM h) RETURNING 1)
       UPDATE ${this.names.lease} SET purged_seq = GREATEST(purged_seq, (SELECT horizon FROM h)) WHERE id = 1 AND EXISTS (SELECT 1 FROM h)`,
      [keep],
    )
  }

  /**
   * Forget every deletion kept for standbys now (a forgotten member: the deleted keys still
   * name them). A standby behind this point reloads everything, as after any purge.
   */
  async compact(): Promise<void> {
    await this.session.run((c) => this.purge(c, 0))
  }

  /** Number of keys and the commit sequence number (for migrate and tests). */
  async count(): Promise<number> {
    return this.session.run(async (c) => Number((await c.query<{ n: string }>(`SELECT count(*) AS n FROM ${this.names.kv} WHERE value IS NOT NULL`)).rows[0]!.n))
  }

  async close(): Promise<void> {
    this.opened = false
    await this.mirror?.stop()
    await this.session.close()
  }
}

/** A key's last segment that JSON must escape (quotes, backslashes, control characters). */
const NEEDS_ESCAPE = /["\\\u0000-\u001f]/

/** `key` in [prefix, prefix with its last character incremented): every key starting with prefix. */
function prefixRange(prefix: string): { where: string; params: string[] } {
  if (prefix === '') return { where: '', params: [] }
  const last = prefix.charCodeAt(prefix.length - 1)
  // a surrogate at the end would not increment into the next code point: use starts_with there
  if (last >= 0xd800 && last <= 0xdfff) return { where: ' AND starts_with(key, $1)', params: [prefix] }
  const upper = prefix.slice(0, -1) + String.fromCharCode(last + 1)
  return { where: ' AND key >= $1 AND key < $2', params: [prefix, upper] }
}
