import { readFileSync } from 'node:fs'

/**
 * `SIYU_WATCH_PID=<pid>`: the bot stops (as on SIGTERM) once that process is gone. For
 * whatever starts the bot through a wrapper (`npm start` runs sh and node under npm) and must
 * not leave it running when it dies itself: the test helpers set it to the test process, and
 * a supervisor may set it to its own pid. Off unless set, so an operator's bot never stops
 * because some other process went away; stdin plays no part (the sandbox keeps running when
 * stdin closes).
 */
export function watchPid(env: NodeJS.ProcessEnv, onGone: (pid: number) => void, everyMs = 1_000): void {
  const pid = Number(env.SIYU_WATCH_PID)
  if (!Number.isInteger(pid) || pid <= 0) return
  const timer = setInterval(() => {
    if (isAlive(pid)) return
    clearInterval(timer)
    onGone(pid)
  }, everyMs)
  timer.unref()
}

/** Alive and not a zombie (a dead process its parent has not reaped yet). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return true // no /proc (not Linux): signal 0 said it exists
  }
}
