import type { ChildProcess } from 'node:child_process'
import { appendFileSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * Every process a test starts is tracked here, so `npm test` leaves nothing running:
 *
 * - recorded (pid, its start time, whether it leads its own process group) in a file under
 *   the run's temporary folder, which tests/globalSetup.ts checks at the end of the run: a
 *   process still alive there is killed and FAILS the run;
 * - stopped by tests/processTeardown.ts after each test file, when the test did not stop it
 *   itself (it failed, or timed out): the whole process group is killed (`npm start` runs
 *   sh and node under npm) and the exit awaited.
 *
 * Servers inside the test process (the puppet service, the model stub) are tracked as
 * closers the same way, so a failing test does not leave them listening either.
 */
export const RUN_DIR_ENV = 'SIYU_TEST_RUN_DIR'
const PIDS_FILE = 'pids.jsonl'

export interface ProcessRecord {
  pid: number
  /** /proc start time (clock ticks since boot): a reused pid is not mistaken for ours. */
  start: string
  /** The process leads its own group (spawned detached): its group is killed with it. */
  leader: boolean
  what: string
}

interface Tracked {
  what: string
  stop(): Promise<void>
}

const live = new Set<Tracked>()

/** Track a child process from now on; call right after spawn, before anything can fail. */
export function trackProcess(child: ChildProcess, what: string): void {
  const pid = child.pid
  if (pid === undefined) return // never started
  const stat = procStat(pid)
  const record: ProcessRecord = { pid, start: stat?.start ?? '', leader: stat?.pgrp === pid, what }
  const dir = process.env[RUN_DIR_ENV]
  if (dir) appendFileSync(join(dir, PIDS_FILE), JSON.stringify(record) + '\n')
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  const tracked: Tracked = {
    what: `${what} (pid ${pid})`,
    stop: async () => {
      kill(record)
      await exited
      await until(() => alive(record).length === 0, 5_000)
    },
  }
  live.add(tracked)
  // a group leader's exit does not end its group (npm killed alone leaves the bot): keep it
  void exited.then(() => {
    if (!record.leader || alive(record).length === 0) live.delete(tracked)
  })
}

/** Track something in this process that must be closed (a server), until `close` is called. */
export function trackCloser(what: string, close: () => Promise<void>): () => Promise<void> {
  const tracked: Tracked = { what, stop: close }
  live.add(tracked)
  return async () => {
    live.delete(tracked)
    await close()
  }
}

/** Stop what the tests of this file left running; returns what that was. */
export async function stopTracked(): Promise<string[]> {
  const left = [...live].reverse()
  live.clear()
  await Promise.all(left.map((t) => t.stop().catch(() => {})))
  return left.map((t) => t.what)
}

/** The records of this run (for the global teardown). */
export function readRecords(dir: string): ProcessRecord[] {
  try {
    return readFileSync(join(dir, PIDS_FILE), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ProcessRecord)
  } catch {
    return []
  }
}

/** Pids still running for a record: the process itself (same start time), and its group if it led one. */
export function alive(record: ProcessRecord): number[] {
  const out = new Set<number>()
  const own = procStat(record.pid)
  if (own && own.state !== 'Z' && own.start === record.start) out.add(record.pid)
  if (record.leader) for (const pid of groupMembers(record.pid)) out.add(pid)
  return [...out]
}

/** SIGKILL the record's process (and group): teardown is no place for a graceful stop. */
export function kill(record: ProcessRecord): void {
  for (const target of record.leader ? [-record.pid] : alive(record)) {
    try {
      process.kill(target, 'SIGKILL')
    } catch {
      // gone already
    }
  }
}

/** Live (non-zombie) processes in a process group, from /proc. */
function groupMembers(pgid: number): number[] {
  const out: number[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return out
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue
    const st = procStat(Number(e))
    if (st && st.pgrp === pgid && st.state !== 'Z') out.push(Number(e))
  }
  return out
}

function procStat(pid: number): { state: string; pgrp: number; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // the command name is in parentheses and may hold spaces: fields start after the last ')'
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return { state: f[0]!, pgrp: Number(f[2]), start: f[19]! }
  } catch {
    return undefined
  }
}

async function until(done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!done() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
}
