import pg from 'pg'

/** The quoted, schema-qualified names of siyu's tables in one PostgreSQL schema. */
export interface PgNames {
  schema: string
  kv: string
  lease: string
  version: string
  /** NOTIFY channel raised by every commit (payload: its commit sequence number). */
  commitChannel: string
}

export function pgNames(schema: string): PgNames {
  const q = (t: string) => `${pg.escapeIdentifier(schema)}.${pg.escapeIdentifier(t)}`
  return { schema, kv: q('siyu_kv'), lease: q('siyu_lease'), version: q('siyu_schema_version'), commitChannel: `siyu_commit:${schema}` }
}

/**
 * The schema, as numbered steps. A database at version N gets steps N+1… at start, in one
 * transaction, under an advisory lock (two processes starting together migrate once). Never
 * edit a step that shipped: add the next one.
 */
const MIGRATIONS: ReadonlyArray<(n: PgNames) => string[]> = [
  // 1: keys and values; the lease row (holder, expiry, fencing token) that also numbers commits
  (n) => [
    // COLLATE "C": byte order, so a prefix scan is an index range whatever the database's locale;
    // value NULL is a deletion kept (with its seq) for a standby that follows the changes
    `CREATE TABLE ${n.kv} (key text COLLATE "C" PRIMARY KEY, value json, seq bigint NOT NULL)`,
    `CREATE INDEX ON ${n.kv} (seq)`,
    `CREATE TABLE ${n.lease} (
       id int PRIMARY KEY CHECK (id = 1),
       holder text,
       token bigint NOT NULL DEFAULT 0,
       expires_at timestamptz,
       commit_seq bigint NOT NULL DEFAULT 0,
       purged_seq bigint NOT NULL DEFAULT 0)`,
    `INSERT INTO ${n.lease} (id) VALUES (1)`,
  ],
]

export const SCHEMA_VERSION = MIGRATIONS.length

/** The database was made by a newer siyu: this one must not guess at its tables. */
export class SchemaTooNewError extends Error {
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`the database's siyu schema is version ${found}, newer than this siyu knows (${known}); upgrade siyu`)
    this.name = 'SchemaTooNewError'
  }
}

/** Create or bring up to date siyu's tables; returns the version the database is now at. */
export async function migrate(client: pg.Client, n: PgNames): Promise<number> {
  await client.query('BEGIN')
  try {
    await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`siyu schema ${n.schema}`])
    if (n.schema !== 'public') await client.query(`CREATE SCHEMA IF NOT EXISTS ${pg.escapeIdentifier(n.schema)}`)
    await client.query(`CREATE TABLE IF NOT EXISTS ${n.version} (version int NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`)
    const { rows } = await client.query<{ v: number | null }>(`SELECT max(version) AS v FROM ${n.version}`)
    const at = rows[0]?.v ?? 0
    if (at > SCHEMA_VERSION) throw new SchemaTooNewError(at, SCHEMA_VERSION)
    for (let v = at + 1; v <= SCHEMA_VERSION; v++) {
      for (const sql of MIGRATIONS[v - 1]!(n)) await client.query(sql)
      await client.query(`INSERT INTO ${n.version} (version) VALUES ($1)`, [v])
    }
    await client.query('COMMIT')
    return SCHEMA_VERSION
  } catch (err) {
    await client.query('ROLLBACK').catch(() => {})
    throw err
  }
}
