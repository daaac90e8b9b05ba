/**
 * `siyu migrate --from <data dir | postgres://…> --to <data dir | postgres://…>`:
 * copy all of siyu's state between the JSON files and PostgreSQL (either way), then verify
 * by reading both sides back (key count and a SHA-256 over every key and value).
 * Exit codes: 0 copied and verified, 1 mismatch or failure, 2 bad arguments or a target
 * that is not empty, 3 a source or target in use by a running bot.
 */
import { createHash } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { FileAdapter } from '../store/FileAdapter.js'
import { isPostgresUrl, parsePgUrl, redactUrl } from '../store/postgres/connection.js'
import { pgNames } from '../store/postgres/schema.js'
import { PostgresAdapter } from '../store/PostgresAdapter.js'
import { StoreLockedError, type Json, type StorageAdapter } from '../store/StorageAdapter.js'
import { usageError } from './usage.js'

const USAGE = 'usage: siyu migrate --from <data dir | postgres://…> --to <data dir | postgres://…> (or npm run migrate -- …)'
/** Older versions kept the sandbox's store in <data>/sandbox (now <data>-sandbox): not the brand's data. */
const SANDBOX = 'sandbox/'
const CHUNK = 10_000

export class MigrateError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message)
  }
}

export interface Summary {
  keys: number
  digest: string
}

/** Count and digest of everything a store holds (the sandbox's own keys left out). */
export function summarize(entries: ReadonlyArray<[string, Json]>): Summary {
  const hash = createHash('sha256')
  let keys = 0
  for (const [k, v] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (k.startsWith(SANDBOX)) continue
    hash.update(k).update('\0').update(canonical(v)).update('\n')
    keys++
  }
  return { keys, digest: hash.digest('hex') }
}

/** JSON with object keys sorted: the same value gives the same text on either side. */
function canonical(v: Json): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k]!)}`)
      .join(',')}}`
  }
  return JSON.stringify(v)
}

const label = (where: string) => (isPostgresUrl(where) ? redactUrl(where) : where)

async function openSide(where: string, role: 'source' | 'target'): Promise<StorageAdapter> {
  if (isPostgresUrl(where)) {
    await refuseLiveLease(where, role)
    const a = new PostgresAdapter(where)
    await a.open()
    if (role === 'target' && (await a.count()) > 0) {
      await a.close()
      throw new MigrateError(`target ${label(where)} is not empty: migrate copies into an empty store only`, 2)
    }
    return a
  }
  if (role === 'source') {
    const s = await stat(where).catch(() => undefined)
    if (!s?.isDirectory()) throw new MigrateError(`source ${where} is not a directory`, 2)
  } else {
    const names = await readdir(where).catch(() => [] as string[])
    if (names.length > 0) throw new MigrateError(`target ${where} is not empty: migrate copies into an empty store only`, 2)
  }
  const a = new FileAdapter(where, { checkpointMs: 3_600_000 })
  try {
    await a.open()
  } catch (err) {
    if (err instanceof StoreLockedError) throw new MigrateError(`${err.message} (a running bot)`, 3)
    throw err
  }
  return a
}

/** A bot holding the lease is writing: a copy taken now would not be the state it confirms. */
async function refuseLiveLease(url: string, role: string): Promise<void> {
  const target = parsePgUrl(url)
  const names = pgNames(target.schema)
  const c = new pg.Client({ connectionString: target.connectionString })
  await c.connect()
  try {
    const { rows } = await c.query<{ holder: string }>(
      `SELECT holder FROM ${names.lease} WHERE id = 1 AND holder IS NOT NULL AND expires_at > now()`,
    ).catch((err: { code?: string }) => (err.code === '42P01' ? { rows: [] } : Promise.reject(err))) // no tables yet: no bot
    if (rows[0]) throw new MigrateError(`${role} ${label(url)} is in use by a running bot (${rows[0].holder}); stop it first`, 3)
  } finally {
    await c.end()
  }
}

export async function migrateStore(from: string, to: string, say: (line: string) => void = () => {}): Promise<{ source: Summary; target: Summary }> {
  const source = await openSide(from, 'source')
  let target: StorageAdapter | undefined
  try {
    target = await openSide(to, 'target')
    const entries = (await source.entries('')).filter(([k]) => !k.startsWith(SANDBOX))
    say(`copying ${entries.length} keys from ${label(from)} to ${label(to)}`)
    for (let i = 0; i < entries.length; i += CHUNK) {
      await target.commit(entries.slice(i, i + CHUNK).map(([key, value]) => ({ key, value })))
      if (entries.length > CHUNK) say(`  ${Math.min(i + CHUNK, entries.length)} / ${entries.length}`)
    }
    await target.close()
    target = undefined
    // verify from a fresh open of the target: what a bot would load, not what we still hold
    const check = isPostgresUrl(to) ? new PostgresAdapter(to) : new FileAdapter(to)
    await check.open()
    const targetSummary = summarize(await check.entries(''))
    await check.close()
    const sourceSummary = summarize(await source.entries(''))
    return { source: sourceSummary, target: targetSummary }
  } finally {
    await target?.close()
    await source.close()
  }
}

/** The command: returns its exit code (printing to `out`/`err`). */
export async function runMigrate(argv: string[], out: (l: string) => void = console.log, err: (l: string) => void = console.error): Promise<number> {
  let from: string | undefined
  let to: string | undefined
  try {
    ;({ from, to } = parseArgs({ args: argv, options: { from: { type: 'string' }, to: { type: 'string' } } }).values)
  } catch (e) {
    err(`${usageError('migrate', e)}\n${USAGE}`)
    return 2
  }
  if (!from || !to) {
    err(USAGE)
    return 2
  }
  if (from === to) {
    err(`--from and --to are the same store\n${USAGE}`)
    return 2
  }
  try {
    const { source, target } = await migrateStore(from, to, out)
    out(`source: ${source.keys} keys, sha256 ${source.digest}`)
    out(`target: ${target.keys} keys, sha256 ${target.digest}`)
    if (source.keys !== target.keys || source.digest !== target.digest) {
      err('MISMATCH: the target does not hold what the source does; do not use it')
      return 1
    }
    out('verified: both sides hold the same keys and values')
    return 0
  } catch (e) {
    if (e instanceof MigrateError) {
      err(e.message)
      return e.exitCode
    }
    const text = String((e as Error)?.stack ?? e)
    err([from, to].filter(isPostgresUrl).reduce((t, u) => t.replaceAll(u, redactUrl(u)), text))
    return 1
  }
}

