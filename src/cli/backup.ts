/**
 * `npm run backup -- --data <dir> --to <file>`: a consistent copy of the data dir (exactly the
 * state up to one commit) into a .tar.gz, also while the bot runs — it takes no lock.
 * Exit 0 with a summary line, 1 on an error (with its message).
 */
import { parseArgs } from 'node:util'
import { backup } from '../store/backup.js'

const usage = 'usage: npm run backup -- --data <data dir> --to <backup file.tar.gz>'
try {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { data: { type: 'string' }, to: { type: 'string' } } })
  if (!values.to) throw new Error(`--to is required\n${usage}`)
  const r = await backup(values.data ?? 'data', values.to)
  console.log(`备份完成 / backup written: ${r.file} (${r.files} files, ${r.bytes} bytes, journal records ${r.records}${r.attempts > 1 ? `, read ${r.attempts} times: a checkpoint moved files meanwhile` : ''})`)
} catch (err) {
  console.error(`备份失败 / backup failed: ${(err as Error).message}`)
  process.exitCode = 1
}
