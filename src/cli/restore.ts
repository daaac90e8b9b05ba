/**
 * `siyu restore --from <file> --data <dir>` (also `npm run restore`): bring a backup back into
 * an empty (or new) data dir. A non-empty dir or a damaged backup is refused: exit 1, nothing
 * changed.
 */
import { parseArgs } from 'node:util'
import { restore } from '../store/backup.js'
import { usageError } from './usage.js'

export async function runRestore(argv: string[]): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: { from: { type: 'string' }, data: { type: 'string', short: 'd' } } }))
  } catch (err) {
    console.error(usageError('restore', err))
    return 1
  }
  if (!values.from || !values.data) {
    console.error('siyu restore: --from <file.tar.gz> and --data <empty dir> are required (siyu restore --help)')
    return 1
  }
  try {
    const r = await restore(values.from, values.data)
    console.log(`恢复完成 / restored ${r.files} files into ${values.data}; start the bot with --data ${values.data}`)
    return 0
  } catch (err) {
    console.error(`恢复失败 / restore failed: ${(err as Error).message}`)
    return 1
  }
}
