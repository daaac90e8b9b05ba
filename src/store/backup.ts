import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises'
import { basename, dirname, join, relative, sep } from 'node:path'
import * as tar from 'tar'
import { parseDocument } from './durableFile.js'
import { FileAdapter, NOT_DOCUMENTS } from './FileAdapter.js'
import { NAMES_FILE } from './fileNames.js'
import { Journal, MARK_FILE, parseSegment } from './Journal.js'
import { nodeFs, syncDir } from './storeFs.js'

/** The manifest inside every backup: what it holds, each file's sha256. */
export const MANIFEST = 'siyu-backup.json'

interface Manifest {
  format: 'siyu-backup'
  version: 1
  createdAt: string
  /** The journal segments were cut after this many complete records (the state's last commit). */
  records: number
  files: Record<string, string>
}

export interface BackupResult {
  file: string
  files: number
  bytes: number
  records: number
  /** Reads needed: more than 1 when a checkpoint moved files during a read. */
  attempts: number
}

/** Retries before giving up on a data dir that keeps changing under the reader. */
const MAX_ATTEMPTS = 50

/**
 * Read a data dir — possibly while a bot writes it, without its lock — as exactly the state
 * up to one commit: every snapshot, then every journal segment after the checkpoint mark, each
 * cut after its last complete record. The snapshots hold the state up to some segment's end,
 * and replaying the segments over them gives the state after the last record read. A read is
 * only kept when no checkpoint ran in between (same mark, same segments before and after):
 * otherwise snapshots from after the cut could meet segments from before it, and it is read again.
 */
export async function readConsistentCopy(dataDir: string): Promise<{ files: Map<string, Buffer>; records: number; attempts: number }> {
  const journalDir = join(dataDir, 'journal')
  await readdir(journalDir).catch(() => {
    throw new Error(`${dataDir} is not a siyu data dir (it has no journal/ folder)`)
  })
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const mark = await Journal.readMark(journalDir)
    const segments = await Journal.list(journalDir)
    const files = new Map<string, Buffer>()
    let records = 0
    try {
      await readSnapshots(dataDir, dataDir, files)
      for (const seg of segments) {
        if (seg <= mark) continue
        const path = join(journalDir, `${seg}.jsonl`)
        const text = (await readFile(path)).toString('utf8')
        // an append in progress is no commit yet: keep whole records only
        const whole = text.slice(0, text.lastIndexOf('\n') + 1)
        records += parseSegment(path, whole).records.length
        files.set(`journal/${seg}.jsonl`, Buffer.from(whole, 'utf8'))
      }
      // the names map only grows, and is written before any file using a new name: read it last
      const names = await readFile(join(dataDir, NAMES_FILE)).catch(ignoreMissing)
      if (names) files.set(NAMES_FILE, names)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue // moved by a checkpoint: again
      throw err
    }
    const same = (await Journal.readMark(journalDir)) === mark && sameList(await Journal.list(journalDir), segments)
    if (!same) continue
    files.set(`journal/${MARK_FILE}`, Buffer.from(JSON.stringify({ through: mark })))
    return { files, records, attempts: attempt }
  }
  throw new Error(`the data dir ${dataDir} kept changing while it was read (${MAX_ATTEMPTS} tries); try again`)
}

async function readSnapshots(root: string, dir: string, out: Map<string, Buffer>): Promise<void> {
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, ent.name)
    if (ent.isDirectory()) {
      if (dir === root && (ent.name === 'journal' || NOT_DOCUMENTS.has(ent.name))) continue
      await readSnapshots(root, path, out)
    } else if (ent.isFile() && ent.name.endsWith('.json') && !ent.name.startsWith('.')) {
      const data = await readFile(path)
      parseDocument(path, data.toString('utf8')) // never back up a corrupt file as if it were good
      out.set(relative(root, path).split(sep).join('/'), data)
    }
  }
}

/**
 * `npm run backup`: a consistent copy of `dataDir` into the gzip'd tar `to` (with a manifest
 * of sha256 sums), written to a temp file and renamed, so `to` is never half a backup.
 */
export async function backup(dataDir: string, to: string, now = new Date()): Promise<BackupResult> {
  const { files, records, attempts } = await readConsistentCopy(dataDir)
  const manifest: Manifest = { format: 'siyu-backup', version: 1, createdAt: now.toISOString(), records, files: {} }
  for (const [path, data] of files) manifest.files[path] = sha256(data)
  const staging = await mkdtemp(join(dirname(to), `.${basename(to)}.`))
  try {
    for (const [path, data] of files) {
      await mkdir(dirname(join(staging, path)), { recursive: true })
      await writeFile(join(staging, path), data)
    }
    await writeFile(join(staging, MANIFEST), JSON.stringify(manifest, null, 2))
    const tmp = `${to}.${process.pid}.tmp`
    await tar.c({ gzip: true, file: tmp, cwd: staging, portable: true }, [MANIFEST, ...files.keys()])
    const fh = await nodeFs.open(tmp, 'r+')
    await fh.sync()
    await fh.close()
    await rename(tmp, to)
    await syncDir(nodeFs, dirname(to))
  } finally {
    await rm(staging, { recursive: true, force: true })
  }
  let bytes = 0
  for (const d of files.values()) bytes += d.length
  return { file: to, files: files.size, bytes, records, attempts }
}

/** A restore that must not happen (a non-empty target, a damaged backup): nothing was written. */
export class RestoreRefused extends Error {}

/**
 * `npm run restore`: unpack a backup into `dataDir`, which must be empty or missing. Every
 * file is checked against the manifest, and the result is opened as the bot would open it
 * (all snapshots parsed, the journal replayed) before it is moved into place.
 */
export async function restore(from: string, dataDir: string): Promise<{ files: number }> {
  const existing = await readdir(dataDir).catch(ignoreMissing)
  if (existing && existing.length > 0) {
    throw new RestoreRefused(`目标数据目录不是空的 / ${dataDir} is not empty: restore only into an empty or new folder (nothing was changed)`)
  }
  await mkdir(dirname(dataDir), { recursive: true })
  const staging = await mkdtemp(join(dirname(dataDir), `.${basename(dataDir)}.restoring-`))
  try {
    await tar.x({ file: from, cwd: staging, strict: true }).catch((err: Error) => {
      throw new RestoreRefused(`${from} is not a readable siyu backup: ${err.message}`)
    })
    const manifest = await readFile(join(staging, MANIFEST), 'utf8')
      .then((t) => JSON.parse(t) as Manifest)
      .catch(() => undefined)
    if (manifest?.format !== 'siyu-backup' || manifest.version !== 1) throw new RestoreRefused(`${from} is not a siyu backup (no ${MANIFEST})`)
    for (const [path, sum] of Object.entries(manifest.files)) {
      const data = await readFile(join(staging, path)).catch(() => undefined)
      if (!data || sha256(data) !== sum) throw new RestoreRefused(`${from} is damaged: ${path} does not match its checksum`)
    }
    await rm(join(staging, MANIFEST))
    // open it as the bot will: a file that does not load stops the restore, not the next start
    const check = new FileAdapter(staging)
    await check.open()
    await check.close()
    if (existing) await rmdir(dataDir)
    await rename(staging, dataDir)
    await syncDir(nodeFs, dirname(dataDir))
    return { files: Object.keys(manifest.files).length }
  } catch (err) {
    await rm(staging, { recursive: true, force: true })
    throw err
  }
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

function sameList(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i])
}

function ignoreMissing(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined
  throw err
}
