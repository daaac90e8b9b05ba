import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { CheckinSkill } from '../../../skills/checkin/index.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { NOT_STORED_TEXT } from '../../../src/engine/SkillContext.js'
import { defineSkill, type Skill } from '../../../src/engine/Skill.js'
import { PointsBook } from '../../../src/members/PointsBook.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { PostgresAdapter } from '../../../src/store/PostgresAdapter.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { DataRefusedError, NotStoredError, type Change, type Json, type StorageAdapter } from '../../../src/store/StorageAdapter.js'
import { Store } from '../../../src/store/Store.js'
import { capturedLog } from '../../helpers/capturedLog.js'
import { harness } from '../../helpers/harness.js'
import { postgresAvailable, usePostgres } from '../../helpers/postgres.js'
import { tempDir } from '../../helpers/tmp.js'

/**
 * A change the storage can never take (a NUL character in a key for PostgreSQL, a value JSON
 * cannot hold for the file store) must not stop every later save: it is isolated and dropped,
 * its member is told, and every other change — also one committed in the same batch — is
 * stored and confirmed.
 */

const YAML = `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: fans-a
    match: { topic: "A群" }
    skills: { poison: {}, checkin: { pool: a } }
  - name: fans-b
    match: { topic: "B群" }
    skills: { checkin: { pool: b } }
  - name: fans-c
    match: { topic: "C群" }
    skills: { checkin: { pool: c } }
`

/** "存一下": stores what `bad()` makes and confirms it, as a skill confirming a stored change does. */
function poisonSkill(bad: () => { key: string; value: Json }): Skill<any> {
  return defineSkill({
    name: 'poison',
    description: 'stores a change the storage refuses',
    config: z.strictObject({}),
    onMessage(ctx) {
      if (ctx.message.text !== '存一下') return false
      const { key, value } = bad()
      ctx.store.set(key, value)
      void ctx.say('已保存', { kind: 'owed' })
      return true
    },
  })
}

async function scenario(adapter: StorageAdapter, bad: () => { key: string; value: Json }, reopen: () => Promise<StorageAdapter>) {
  const { log, lines } = capturedLog()
  const h = await harness(YAML, { skills: [poisonSkill(bad), CheckinSkill], adapter, clock: new FakeClock(Date.parse('2026-03-02T02:00:00Z')), log })
  const a = h.room('A群')
  const b = h.room('B群')
  const c = h.room('C群')
  // the refused change and Bob's check-in go to the storage in ONE batch
  await Promise.all([h.say(a, h.member('Mallory'), '存一下'), h.say(b, h.member('Bob'), '签到')])
  await h.flush()
  expect(h.texts(a.id)).toEqual([NOT_STORED_TEXT])
  expect(h.texts(b.id)).toEqual(['Bob 签到成功 +10，连续 1 天，共 10 分'])
  // later commits are not held hostage by it
  await h.say(c, h.member('Carol'), '签到')
  await h.say(a, h.member('Alice'), '签到')
  expect(h.texts(c.id)).toEqual(['Carol 签到成功 +10，连续 1 天，共 10 分'])
  expect(h.texts(a.id)).toEqual([NOT_STORED_TEXT, 'Alice 签到成功 +10，连续 1 天，共 10 分'])
  expect(h.store.health()).toMatchObject({ writable: true, refusedChanges: 1 })
  const refusal = lines.find((l) => String(l.msg).includes('the store refused a change for good'))
  expect(refusal?.key).toBe(`poison/group:fans-a/${bad().key}`)

  await h.engine.stop()
  await h.store.close()
  // what is stored: every check-in, and not the refused change
  const again = new Store(await reopen())
  const points = (pool: string, id: string) => again.open(`checkin/pool:${pool}/`).then((ns) => new PointsBook(ns).get(id)?.total)
  expect(await points('b', 'wxid_bob')).toBe(10)
  expect(await points('c', 'wxid_carol')).toBe(10)
  expect(await points('a', 'wxid_alice')).toBe(10)
  const poison = await again.open('poison/')
  expect(poison.keys()).toEqual([])
  await again.close()
  return lines
}

describe.runIf(postgresAvailable())('a change PostgreSQL refuses for good (a NUL character in a key)', () => {
  const pgc = usePostgres()

  it('is dropped and its member told; the check-in in the same batch and every later one are stored and confirmed', async () => {
    const url = await pgc.cluster.freshDatabase()
    const adapter = new PostgresAdapter(url)
    const lines = await scenario(
      adapter,
      () => ({ key: 'code\u0000x', value: 'COUPON-1' }),
      async () => {
        const a = new PostgresAdapter(url)
        await a.open()
        return a
      },
    )
    // PostgreSQL's own words, not a guess
    expect(String(lines.find((l) => String(l.msg).includes('refused a change'))?.err)).toMatch(/invalid byte sequence for encoding "UTF8": 0x00/)
  }, 60_000)
})

describe('a change the file store refuses for good (a value JSON cannot hold)', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> }
  beforeAll(async () => {
    tmp = await tempDir('siyu-refused-')
  })
  afterAll(async () => tmp.cleanup())

  it('is dropped and its member told; the check-in in the same batch and every later one are stored and confirmed', async () => {
    const dir = `${tmp.dir}/data`
    await scenario(
      new FileAdapter(dir),
      // a BigInt slipped into a value: JSON.stringify throws, on every attempt
      () => ({ key: 'big', value: { n: 10n } as unknown as Json }),
      async () => {
        const a = new FileAdapter(dir)
        await a.open()
        return a
      },
    )
  })
})

describe('Store: who hears of a refused change', () => {
  it('only the durable() calls that answer for it reject; a later good value of the same key is stored', async () => {
    const { dir, cleanup } = await tempDir('siyu-refused-')
    try {
      const adapter = new FileAdapter(dir)
      await adapter.open()
      const store = new Store(adapter)
      const ns = await store.open('t/')
      ns.set('before', 1)
      const first = store.durable()
      ns.set('bad', { n: 1n } as unknown as Json)
      const second = store.durable()
      ns.set('after', 3)
      const third = store.durable()
      await expect(first).resolves.toBeUndefined()
      await expect(second).rejects.toBeInstanceOf(NotStoredError)
      await expect(third).resolves.toBeUndefined()
      // the same key, now with a value the store takes
      ns.set('bad', 2)
      await expect(store.durable()).resolves.toBeUndefined()
      await store.close()
      const reopened = new FileAdapter(dir)
      await reopened.open()
      expect(await reopened.entries('t/')).toEqual([
        ['t/after', 3],
        ['t/bad', 2],
        ['t/before', 1],
      ])
      await reopened.close()
    } finally {
      await cleanup()
    }
  })

  it('a batch that first fails on the disk, then is refused in part: the refusal is still its own writer’s, not the next one’s', async () => {
    // an adapter whose disk is full once, and which refuses any key holding "bad"
    class FlakyAdapter extends MemoryAdapter {
      full = 1
      override commit(changes: readonly Change[]): Promise<void> {
        if (this.full > 0) {
          this.full--
          return Promise.reject(Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' }))
        }
        const bad = changes.find((c) => c.key.includes('bad'))
        return bad ? Promise.reject(new DataRefusedError(`refused ${bad.key}`)) : super.commit(changes)
      }
    }
    const clock = new FakeClock()
    const adapter = new FlakyAdapter()
    const store = new Store(adapter, { clock })
    const ns = await store.open('t/')
    ns.set('good1', 1)
    const a = store.durable()
    ns.set('bad', 2)
    const b = store.durable()
    // the first attempt fails on the disk: both wait for the retry
    await new Promise((r) => setImmediate(r))
    await new Promise((r) => setImmediate(r))
    expect(store.health().writable).toBe(false)
    ns.set('good2', 3)
    const c = store.durable()
    await clock.advance(1000)
    await expect(a).resolves.toBeUndefined()
    await expect(b).rejects.toBeInstanceOf(NotStoredError)
    await expect(c).resolves.toBeUndefined()
    expect(await adapter.entries('t/')).toEqual([
      ['t/good1', 1],
      ['t/good2', 3],
    ])
    expect(store.health()).toMatchObject({ writable: true, refusedChanges: 1 })
    await store.close()
  })

  it('on the file store, whose documents the store reads through: a refused value stays readable here until overwritten, never reaches the documents, and the checkpoint writes the rest', async () => {
    const { dir, cleanup } = await tempDir('siyu-refused-')
    try {
      const adapter = new FileAdapter(dir, { maxJournalBytes: 1 })
      await adapter.open()
      const store = new Store(adapter)
      const ns = await store.open('t/')
      ns.set('doc/bad', 'before')
      await store.durable()
      ns.set('doc/good', 1)
      ns.set('doc/bad', { n: 1n } as unknown as Json)
      await expect(store.durable()).rejects.toBeInstanceOf(NotStoredError)
      // this process still reads what it wrote (as every watcher was told); the durable documents do not hold it
      expect(ns.get('doc/bad')).toEqual({ n: 1n })
      expect(adapter.documents.get('t/doc', 'bad')).toBe('before')
      expect(await adapter.read('t/doc/good')).toBe(1)
      // a later change of the document checkpoints it (maxJournalBytes: 1): it holds no BigInt
      ns.set('doc/other', 2)
      await store.durable()
      expect(store.health()).toMatchObject({ writable: true, refusedChanges: 1 })
      // overwritten with a value the store takes: stored, and read from the documents again
      ns.set('doc/bad', 'after')
      await store.durable()
      expect(ns.get('doc/bad')).toBe('after')
      expect(adapter.documents.get('t/doc', 'bad')).toBe('after')
      await store.close()
      const reopened = new FileAdapter(dir)
      await reopened.open()
      expect(await reopened.entries('t/')).toEqual([
        ['t/doc/bad', 'after'],
        ['t/doc/good', 1],
        ['t/doc/other', 2],
      ])
      await reopened.close()
    } finally {
      await cleanup()
    }
  })
})
