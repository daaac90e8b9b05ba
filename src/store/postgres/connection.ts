import pg from 'pg'

/** `postgres://` or `postgresql://`: a store that lives in PostgreSQL rather than in --data. */
export function isPostgresUrl(s: string | undefined): s is string {
  return !!s && /^postgres(ql)?:\/\//i.test(s)
}

/** The URL with its password masked, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@')
  }
}

export interface PgTarget {
  /** What pg connects with (our own `schema` parameter removed: the server would refuse it). */
  connectionString: string
  /** The PostgreSQL schema holding siyu's tables (`?schema=` in the URL, default `public`). */
  schema: string
}

export function parsePgUrl(url: string): PgTarget {
  const u = new URL(url)
  const schema = u.searchParams.get('schema') ?? 'public'
  u.searchParams.delete('schema')
  return { connectionString: u.toString(), schema }
}

export interface ClientTuning {
  /** Client-side bound on one query (a dead peer can keep a TCP connection open for minutes). */
  queryTimeoutMs?: number
  statementTimeoutMs?: number
  lockTimeoutMs?: number
  /** The server ends a session that sits inside a transaction this long (a client that died mid-commit). */
  idleInTransactionMs?: number
  applicationName?: string
}

/** A connected client whose connection errors are reported, not thrown at the process. */
export async function connectClient(target: PgTarget, tuning: ClientTuning, onError: (err: Error) => void): Promise<pg.Client> {
  const client = new pg.Client({
    connectionString: target.connectionString,
    connectionTimeoutMillis: 5_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 5_000,
    query_timeout: tuning.queryTimeoutMs,
    statement_timeout: tuning.statementTimeoutMs,
    lock_timeout: tuning.lockTimeoutMs,
    idle_in_transaction_session_timeout: tuning.idleInTransactionMs,
    application_name: tuning.applicationName ?? 'siyu',
  })
  client.on('error', onError)
  try {
    await client.connect()
  } catch (err) {
    client.removeAllListeners('error')
    client.on('error', () => {})
    await client.end().catch(() => {})
    throw err
  }
  return client
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'])

/**
 * The database could not be reached (or went away, or is starting up or shutting down): the
 * same work may be tried again on a new connection. SQL errors (a constraint, a bad value,
 * the fence) are not.
 */
/** Close a client we are done with, whatever state it is in: its late errors are ignored. */
export function endQuietly(c: pg.Client | undefined): void {
  if (!c) return
  c.removeAllListeners('error')
  c.on('error', () => {})
  void c.end().catch(() => {})
}

export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: string; message?: string } | undefined
  if (!e) return false
  const code = e.code ?? ''
  if (CONNECTION_CODES.has(code)) return true
  // 08: connection exception; 57P01-57P03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections
  if (code.startsWith('08') || /^57P0[123]$/.test(code) || code === '53300') return true
  return /Connection terminated|connection timeout|Query read timeout|not queryable|Client has encountered a connection error|Client was closed/i.test(e.message ?? '')
}
