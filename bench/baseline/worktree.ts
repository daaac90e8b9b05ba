/**
 * The store's code before issue 25 (lazy documents, one copy, rank order), for the scale
 * benches to run side by side with today's: a detached git worktree of BASELINE_COMMIT in a
 * temp folder, this checkout's node_modules linked in, and this checkout's child-process
 * bench script (bench/startScale.ts, which uses only APIs both versions have) copied over, so
 * the same measurement runs on both. Removed by `cleanup()`.
 */
import { execFile } from 'node:child_process'
import { copyFile, mkdtemp, rm, symlink } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** main before issue 25: every document parsed at open and kept twice, ranks by a scan. */
export const BASELINE_COMMIT = '902bc8f'

const run = (cmd: string, args: string[]): Promise<void> =>
  new Promise((resolve, reject) => execFile(cmd, args, (err, _out, stderr) => (err ? reject(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : resolve())))
const repo = join(import.meta.dirname, '..', '..')

export async function baselineTree(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const parent = await mkdtemp(join(tmpdir(), 'siyu-baseline-'))
  const dir = join(parent, 'tree')
  await run('git', ['-C', repo, 'worktree', 'add', '--detach', '--force', dir, BASELINE_COMMIT])
  await symlink(join(repo, 'node_modules'), join(dir, 'node_modules'))
  await copyFile(join(repo, 'bench', 'startScale.ts'), join(dir, 'bench', 'startScale.ts'))
  return {
    dir,
    cleanup: async () => {
      await run('git', ['-C', repo, 'worktree', 'remove', '--force', dir]).catch(() => {})
      await rm(parent, { recursive: true, force: true })
      await run('git', ['-C', repo, 'worktree', 'prune']).catch(() => {})
    },
  }
}
