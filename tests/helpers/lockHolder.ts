/**
 * A process that takes a data dir's lock and keeps it until it dies (for the lock tests):
 * `node --import tsx tests/helpers/lockHolder.ts <dir>` prints `locked <pid>` once it holds it.
 */
import { DirLock } from '../../src/store/DirLock.js'

DirLock.acquire(process.argv[2]!)
process.stdout.write(`locked ${process.pid}\n`)
setInterval(() => {}, 60_000)
