import { spawnSync } from 'node:child_process'
import { mkdir, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { backup, readConsistentCopy, restore, RestoreRefused } from '../../../src/store/backup.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { tempDir } from '../../helpers/tmp.js'

describe('backup and restore of the file store', () => {
  let dir: string
  let cleanup: () => Promise<void>
  beforeEach(async () => {
    ;({ dir, cleanup } = await tempDir('siyu-backup-'))
  })
  afterEach(async () => cleanup())

  it('copies exactly the state after one commit while commits and checkpoints go on', async () => {
    const data = join(dir, 'data')
    const a = new FileAdapter(data, { checkpointMs: 3_600_000 })
    await a.open()
    // every commit sets the same counter in two documents (and one more row): a copy that
    // mixes two instants shows different counters
    let n = 0
    let writing = true
    const writer = (async () => {
      while (writing) {
        n++
        await a.commit([
          { key: 'a/doc/n', value: n },
          { key: 'b/doc/n', value: n },
          { key: `c/rows/${n % 50}`, value: n },
        ])
        if (n % 7 === 0) await a.checkpoint()
      }
    })()
    const retried: number[] = []
    try {
      for (let i = 0; i < 30; i++) {
        const copy = await readConsistentCopy(data)
        retried.push(copy.attempts)
        const target = join(dir, `copy${i}`)
        for (const [path, bytes] of copy.files) {
          await mkdir(join(target, path, '..'), { recursive: true })
          await writeFile(join(target, path), bytes)
        }
        const c = new FileAdapter(target)
        await c.open()
        const an = (await c.read('a/doc/n')) as number | undefined
        expect(await c.read('b/doc/n'), `copy ${i}`).toBe(an)
        // every row is from a commit at or before that one
        for (const [, v] of await c.entries('c/')) expect(v as number).toBeLessThanOrEqual(an ?? 0)
        await c.close()
      }
    } finally {
      writing = false
      await writer
      await a.close()
    }
    expect(n).toBeGreaterThan(30)
  }, 60_000)

  it('restores into a new folder, and refuses a non-empty one or a damaged file', async () => {
    const data = join(dir, 'data')
    const a = new FileAdapter(data)
    await a.open()
    await a.commit([{ key: 'checkin/pool:fans/members/07/wxid_a', value: { total: 10 } }])
    await a.checkpoint()
    await a.commit([{ key: 'checkin/pool:fans/members/07/wxid_b', value: { total: 20 } }])
    const file = join(dir, 'b.tar.gz')
    await backup(data, file) // the bot holds the dir meanwhile
    await a.close()

    const target = join(dir, 'restored')
    await restore(file, target)
    const b = new FileAdapter(target)
    await b.open()
    expect(await b.entries('checkin/')).toEqual([
      ['checkin/pool:fans/members/07/wxid_a', { total: 10 }],
      ['checkin/pool:fans/members/07/wxid_b', { total: 20 }],
    ])
    await b.close()

    const busy = join(dir, 'busy')
    await mkdir(busy)
    await writeFile(join(busy, 'keep.txt'), 'mine')
    await expect(restore(file, busy)).rejects.toThrow(/is not empty/)
    expect(await readdir(busy)).toEqual(['keep.txt'])

    // the CLI says it and exits non-zero
    const r = spawnSync('npm', ['run', '--silent', 'restore', '--', '--from', file, '--data', busy], { encoding: 'utf8' })
    expect(r.status).toBe(1)
    expect(r.stderr).toContain(`${busy} is not empty`)

    const bad = join(dir, 'bad.tar.gz')
    await writeFile(bad, 'not a backup')
    await expect(restore(bad, join(dir, 'other'))).rejects.toBeInstanceOf(RestoreRefused)
  }, 60_000)
})
