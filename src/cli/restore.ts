/**
 * `npm run restore -- --from <file> --data <dir>`: bring a backup back into an empty (or new)
 * data dir. A non-empty dir or a damaged backup is refused: exit 1, nothing changed.
 */
import { parseArgs } from 'node:util'
import { restore } from '../store/backup.js'

const usage = 'usage: npm run restore -- --from <backup file.tar.gz> --data <empty data dir>'
try {
  const { values } = parseArgs({ args: process.argv.slice(2), options: { from: { type: 'string' }, data: { type: 'string' } } })
  if (!values.from || !values.data) throw new Error(`--from and --data are required\n${usage}`)
  const r = await restore(values.from, values.data)
  console.log(`恢复完成 / restored ${r.files} files into ${values.data}; start the bot with --data ${values.data}`)
} catch (err) {
  console.error(`恢复失败 / restore failed: ${(err as Error).message}`)
  process.exitCode = 1
}
