import { execFileSync } from 'node:child_process'
import { readFile, readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { HandoffInbox } from '../../../src/inbox/HandoffInbox.js'
import { FileAdapter } from '../../../src/store/FileAdapter.js'
import { PostgresAdapter } from '../../../src/store/PostgresAdapter.js'
import type { Change, StorageAdapter } from '../../../src/store/StorageAdapter.js'
import { backup } from '../../../src/store/backup.js'
import { orderBook } from '../../../skills/shop/Orders.js'
import { GuardBook } from '../../../skills/guard/GuardBook.js'
import { harness, type Harness } from '../../helpers/harness.js'
import { pgAvailability, postgresAvailable, usePostgres } from '../../helpers/postgres.js'
import { tempDir } from '../../helpers/tmp.js'
import { capturedLog } from '../../helpers/capturedLog.js'

const DAY = 86_400_000
const MIN = 60_000

const YAML = `
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
  privacy: { retainDays: 30 }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { batchSeconds: 0, text: "欢迎 {names}" }
      checkin: {}
      tags: {}
      guard: { block: { links: true }, strikes: 3 }
      live: { lives: [{ id: d11, title: 双11返场, start: "2027-11-25 20:00" }] }
      gate: { keywords: [进粉丝群], capacity: 100 }
      shop: { items: [{ id: sample, name: 小样, price: 5, delivery: admin }] }
      autoreply: { rules: [{ keywords: [退货], reply: "{name}，已转给客服", handoff: true }] }
  - name: vip
    match: { topic: "VIP*" }
    skills: {}
`

/** 张三丰, with a record in every part of the bot: what a forget must leave nothing of. */
const ZSF = { id: 'wxid_zsf01', name: '张三丰', nick: '三丰真人', alias: '张三丰' }
const OTHER = { id: 'wxid_other', name: '李小龙' }

async function richMember(h: Harness) {
  const room = h.room('粉丝1群', 'fans1@chatroom')
  h.actions.members.set(room.id, ['wxid_bot', ZSF.id, OTHER.id])
  await h.dm(ZSF, '进粉丝群') // a pending invite, an expected join
  await h.engine.handleJoin({ room, members: [ZSF], memberCount: 3, byBot: true })
  await h.engine.handleJoin({ room, members: [OTHER], memberCount: 4, by: ZSF.id }) // invited by 张三丰
  await h.say(room, ZSF, '签到')
  await h.say(room, ZSF, '签到')
  await h.clock.advance(DAY)
  await h.say(room, ZSF, '签到')
  await h.say(room, ZSF, '兑换 sample') // an order
  await h.say(room, ZSF, '预约') // a live subscription
  await h.say(room, ZSF, '我要退货，张三丰的快递坏了') // a hand-off with the text
  await h.say(room, ZSF, '看这个 https://spam.example/x') // a guard strike with evidence
  await h.say(room, OTHER, '签到')
  h.engine.tags.add(ZSF.id, 'VIP', { source: 'admin', at: h.clock.now(), by: 'wxid_boss' })
  await h.flush()
  return room
}

/** Every file under a folder, as text (what `grep -r` would search). */
async function allText(dir: string): Promise<string> {
  let out = ''
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) out += (await readFile(join(e.parentPath, e.name))).toString('utf8')
  }
  return out
}

function expectGone(text: string, where: string): void {
  for (const needle of [ZSF.id, ZSF.name, ZSF.nick]) expect(text.includes(needle), `${needle} in ${where}`).toBe(false)
}

/** Records every commit's changes (to show a forget is one commit). */
function recording(adapter: StorageAdapter): Change[][] {
  const batches: Change[][] = []
  const commit = adapter.commit.bind(adapter)
  adapter.commit = (changes) => {
    batches.push([...changes])
    return commit(changes)
  }
  return batches
}

describe('forget a member (CONTRACT §11): every record removed, totals kept under an anonymous id, one commit', () => {
  let cleanup: (() => Promise<void>) | undefined
  afterEach(async () => {
    await cleanup?.()
    cleanup = undefined
  })

  it('#forget @member: nothing of them is left in the data dir or a fresh backup; the pool still adds up', async () => {
    const tmp = await tempDir('siyu-forget-')
    cleanup = tmp.cleanup
    const dataDir = join(tmp.dir, 'data')
    const adapter = new FileAdapter(dataDir)
    const captured = capturedLog()
    const h = await harness(YAML, { adapter, log: captured.log })
    const room = await richMember(h)
    // every part holds them before
    expect(h.engine.members.get(ZSF.id)).toBeDefined()
    expect(orderBook(h.store, 'fans').ofMember(ZSF.id)).toHaveLength(1)
    expect(GuardBook.of(h.store, 'fans').strikesOf(ZSF.id, h.clock.now(), 7 * DAY)).toHaveLength(1)
    expect(HandoffInbox.of(h.store).list()[0]!.memberId).toBe(ZSF.id)
    const before = h.engine.points('fans').get(ZSF.id)!.total
    const poolSum = (): number => h.engine.points('fans').members.rows().reduce((n, [, r]) => n + r.total, 0)
    const sumBefore = poolSum()
    await adapter.checkpoint()
    expect(await allText(dataDir)).toContain(ZSF.name)

    const batches = recording(adapter)
    await h.say(room, h.member('老板', 'wxid_boss'), '#forget @张三丰', { mentionIds: [ZSF.id] })
    await h.flush()
    expect(h.texts(room.id).at(-1)).toBe('已删除 1 位成员的数据。')

    // one commit holds every change of the forget
    const touching = batches.filter((b) => b.some((c) => c.key.includes(ZSF.id) || JSON.stringify(c.value ?? '').includes('anon_')))
    expect(touching).toHaveLength(1)
    // the totals stay, under an anonymous id, out of the leaderboard
    const anon = h.engine.points('fans').members.rows().find(([id]) => id.startsWith('anon_'))!
    expect(anon[1]).toMatchObject({ name: '已删除成员', total: before })
    expect(poolSum()).toBe(sumBefore)
    const recomputed = h.engine.points('fans').recomputeTotals()
    for (const [id, row] of h.engine.points('fans').members.rows()) expect(recomputed.get(id) ?? 0, id).toBe(row.total)
    expect(h.engine.points('fans').top(10).map((t) => t.id)).toEqual([OTHER.id])
    // the order stays for the stock, without them
    expect(orderBook(h.store, 'fans').all()).toMatchObject([{ member: anon[0], memberName: '', item: 'sample' }])
    expect(HandoffInbox.of(h.store).list()[0]).toMatchObject({ memberId: anon[0], memberName: '已删除成员', text: '' })
    // the member who was invited by them no longer names them
    expect(h.engine.members.membership(OTHER.id, 'fans')!.inviterId).toBeUndefined()

    expectGone(await allText(dataDir), 'the data dir')
    // every skill's hook did its part: the last pass found nothing left
    expect(captured.lines.filter((l) => String(l.msg).startsWith('forget: records')), JSON.stringify(captured.lines.filter((l) => String(l.msg).startsWith('forget:')))).toEqual([])
    expect(captured.lines.find((l) => l.audit === true && l.action === 'member forgotten')).toMatchObject({ contact: ZSF.id, by: 'wxid_boss' })
    const file = join(tmp.dir, 'after.tar.gz')
    await backup(dataDir, file)
    expectGone(gunzipSync(await readFile(file)).toString('utf8'), 'a fresh backup')
    // the API's 404 and an empty record: nothing to show of them
    expect(h.engine.members.get(ZSF.id)).toBeUndefined()
    expect(h.engine.tags.names(ZSF.id)).toEqual([])
    await adapter.close()
  })

  it('#forget without a member answers with its usage', async () => {
    const h = await harness(YAML)
    const room = h.room('粉丝1群')
    await h.say(room, h.member('老板', 'wxid_boss'), '#forget')
    expect(h.texts(room.id)[0]).toMatch(/^用法：#forget @成员/)
    // a member's words are no command
    await h.say(room, OTHER, '#forget @张三丰', { mentionIds: [ZSF.id] })
    expect(h.texts(room.id)).toHaveLength(1)
  })

  it('the member’s own 删除我的数据 → 确认删除 (within 5 minutes; anything else cancels)', async () => {
    const h = await harness(YAML)
    const room = await richMember(h)
    await h.dm(ZSF, '删除我的数据')
    expect(h.texts(ZSF.id).at(-1)).toContain('确认删除')
    await h.dm(ZSF, '算了')
    expect(h.texts(ZSF.id).at(-1)).toBe('已取消，你的数据没有删除。')
    expect(h.engine.members.get(ZSF.id)).toBeDefined()
    // too late
    await h.dm(ZSF, '删除我的数据')
    await h.clock.advance(6 * MIN)
    await h.dm(ZSF, '确认删除')
    expect(h.texts(ZSF.id).at(-1)).toContain('确认已超时')
    expect(h.engine.members.get(ZSF.id)).toBeDefined()
    // in time
    await h.dm(ZSF, '删除我的数据')
    await h.clock.advance(4 * MIN)
    await h.dm(ZSF, '确认删除')
    expect(h.texts(ZSF.id).at(-1)).toBe('你的数据已删除。')
    expect(h.engine.members.get(ZSF.id)).toBeUndefined()
    expect(JSON.stringify(h.store.keys('').map((k) => [k, h.store.get(k)]))).not.toContain(ZSF.id)
    void room
  })

  it('the retention sweep deletes the record retainDays after the last leave, not before; counts older than that go', async () => {
    const clock = new FakeClock(Date.UTC(2026, 11, 20, 2))
    const h = await harness(YAML, { clock })
    const fans = h.room('粉丝1群')
    const vip = h.room('VIP群')
    const a = h.member('A')
    const b = h.member('B')
    await h.join(fans, [a, b])
    await h.join(vip, [b])
    await h.say(fans, a, 'hi')
    await h.say(fans, b, 'hi')
    await h.leave(fans, [a, b])
    await clock.advance(29 * DAY)
    h.engine.sweep()
    expect(h.engine.members.get('wxid_a')).toBeDefined()
    await clock.advance(DAY)
    h.engine.sweep()
    await h.flush()
    expect(h.engine.members.get('wxid_a')).toBeUndefined()
    // B is still in the VIP group: kept, but the message counts older than 30 days are gone
    expect(h.engine.members.get('wxid_b')!.activity[0]!.days).toEqual([])
    expect(h.engine.members.get('wxid_b')!.rooms.find((s) => s.room === vip.id)!.in).toBe(true)
  })
})

describe.runIf(postgresAvailable())('forget with PostgreSQL: nothing of them in a dump afterwards', () => {
  const pgc = usePostgres()

  it('a pg_dump of the database after the forget holds neither the id nor the names', async () => {
    const url = await pgc.cluster.freshDatabase()
    const adapter = new PostgresAdapter(url)
    const h = await harness(YAML, { adapter })
    const room = await richMember(h)
    const dump = (): string => execFileSync(join(pgAvailability.bin!, 'pg_dump'), ['--data-only', url.replace(/\?.*$/, '')], { encoding: 'utf8' })
    expect(dump()).toContain(ZSF.id)
    await h.say(room, h.member('老板', 'wxid_boss'), '#forget @张三丰', { mentionIds: [ZSF.id] })
    await h.flush()
    const after = dump()
    if (after.includes(ZSF.id)) console.log(after.split('\n').filter((l) => l.includes(ZSF.id)).join('\n').slice(0, 3000))
    expectGone(after, 'pg_dump')
    await adapter.close()
  })
})
