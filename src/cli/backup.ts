/**
 * `siyu backup --data <dir> --to <file>` (also `npm run backup`): a consistent copy of the
 * data dir (exactly the state up to one commit) into a .tar.gz, also while the bot runs — it
 * takes no lock. Exit 0 with a summary line, 1 on an error (with its message).
 */
import { parseArgs } from 'node:util'
import { backup } from '../store/backup.js'
import { usageError } from './usage.js'

export async function runBackup(argv: string[]): Promise<number> {
  let values
  try {
    ;({ values } = parseArgs({ args: argv, options: { data: { type: 'string', short: 'd' }, to: { type: 'string' } } }))
  } catch (err) {
    console.error(usageError('backup', err))
    return 1
  }
  if (!values.to) {
    console.error('siyu backup: --to <file.tar.gz> is required (siyu backup --help)')
    return 1
  }
  try {
    const r = await backup(values.data ?? 'data', values.to)
    console.log(`备份完成 / backup written: ${r.file} (${r.files} files, ${r.bytes} bytes, journal records ${r.records}${r.attempts > 1 ? `, read ${r.attempts} times: a checkpoint moved files meanwhile` : ''})`)
    return 0
  } catch (err) {
    console.error(`备份失败 / backup failed: ${(err as Error).message}`)
    return 1
  }
}
