import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CodeLedger } from '../../../skills/shop/Codes.js'
import { orderBook, type Order } from '../../../skills/shop/Orders.js'
import { FakeClock, settle } from '../../../src/clock/FakeClock.js'
import { pointsBook } from '../../../src/engine/SkillContext.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness, type Harness } from '../../helpers/harness.js'
import { SpyAdapter } from '../../helpers/spyAdapter.js'
import { SKILLS } from '../../../skills/index.js'
import { tempDir } from '../../helpers/tmp.js'

const sh = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm', { zone: 'Asia/Shanghai' }).toMillis()

let dir: string
let cleanup: () => Promise<void>
beforeAll(async () => ({ dir, cleanup } = await tempDir('siyu-shop-')))
afterAll(() => cleanup())

function codesFile(name: string, codes: string[]): string {
  const file = join(dir, name)
  writeFileSync(file, codes.join('\n') + '\n')
  return file
}

const config = (codes: string, extraItems = '') => `
bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: sisley, points: 10 }
      points: {}
      shop:
        items:
          - { id: sample, name: 小样, price: 30, stock: 2, perMember: 1, period: 30d, delivery: admin }
          - { id: coupon, name: 20元券, price: 10, delivery: codes, codes: "${codes}" }
          - { id: vip, name: 会员礼, price: 5, require: { tags: [活跃粉], points: { min: 50 } }, tag: 礼遇 }
          - { id: once, name: 限量徽章, price: 1, perMember: 1 }
${extraItems}
`

async function boot(yaml: string, adapter = new MemoryAdapter(), at = '2026-11-26 10:00') {
  const clock = new FakeClock(sh(at))
  const h = await harness(yaml, { clock, adapter })
  return { h, clock, adapter, room: h.room('粉丝1群', 'room1@chatroom') }
}

const boss = { id: 'wxid_boss', name: '老板' }

/** Give points the way an admin does (a ledger entry `adjust`). */
async function give(h: Harness, room: { id: string; topic: string }, who: { id: string; name: string }, n: number) {
  await h.say(room, boss, `#points add @${who.name} ${n} 测试`, { mentionIds: [who.id] })
}

function ledgerIsTruth(adapterStore: Harness['store']) {
  const book = pointsBook(adapterStore, 'sisley')
  for (const [id, total] of book.recomputeTotals()) {
    expect(book.get(id)?.total, id).toBe(total)
    expect(total).toBeGreaterThanOrEqual(0)
  }
}

describe('shop: the catalog and a redemption', () => {
  it('lists items with price and what is left, then redeems: debit, stock, order, the admins told', async () => {
    const { h, room } = await boot(config(codesFile('c1.txt', ['A1', 'A2', 'A3'])))
    const alice = h.member('Alice')
    await give(h, room, alice, 100)
    await h.say(room, alice, '积分商城')
    expect(h.texts(room.id).at(-1)).toBe(
      [
        '积分商城（Alice 现有 100 分）',
        'sample · 小样 · 30 分 · 剩 2',
        'coupon · 20元券 · 10 分 · 剩 3',
        'vip · 会员礼 · 5 分 · 剩 不限',
        'once · 限量徽章 · 1 分 · 剩 不限',
        '发「兑换 sample」即可兑换',
      ].join('\n'),
    )
    await h.say(room, alice, '兑换 小样')
    expect(h.texts(room.id).at(-1)).toBe('Alice 兑换成功：小样，扣 30 分，剩 70 分（订单 1）')
    const notice = h.texts('wxid_boss').at(-1)!
    expect(notice).toContain('订单 1：Alice（wxid_alice）在fans「粉丝1群」兑换了 小样（30 分）')
    expect(notice).toContain('#order done 1')
    const book = pointsBook(h.store, 'sisley')
    expect(book.ledger().filter((e) => e.member === 'wxid_alice').map((e) => [e.reason, e.delta])).toEqual([
      ['adjust', 100],
      ['redeem', -30],
    ])
    await h.say(room, alice, '积分商城')
    expect(h.texts(room.id).at(-1)).toContain('sample · 小样 · 30 分 · 剩 1')
    await h.say(room, alice, '我的兑换')
    expect(h.texts(room.id).at(-1)).toBe('Alice 的兑换记录（最近 1 条）\n1 · 小样 · 30 分 · 待发货 · 11月26日 10:00')
    // the admin ships it
    await h.say(room, boss, '#order list')
    expect(h.texts(room.id).at(-1)).toContain('1 · 小样 · Alice（wxid_alice）· 30 分')
    await h.say(room, boss, '#order done 1')
    expect(h.texts(room.id).at(-1)).toBe('订单 1 已标记完成：Alice 的 小样')
    await h.say(room, boss, '#order list')
    expect(h.texts(room.id).at(-1)).toBe('积分池 sisley 没有待处理的订单')
    await h.say(room, alice, '我的兑换')
    expect(h.texts(room.id).at(-1)).toContain('已完成')
    ledgerIsTruth(h.store)
  })

  it('not enough points: says how many are missing, changes nothing', async () => {
    const { h, room } = await boot(config(codesFile('c2.txt', ['B1'])))
    const bob = h.member('Bob')
    await h.say(room, bob, '签到')
    await h.say(room, bob, '兑换 sample')
    expect(h.texts(room.id).at(-1)).toBe('Bob 兑换小样需要 30 分，你现在有 10 分，还差 20 分')
    expect(orderBook(h.store, 'sisley').all()).toEqual([])
    expect(pointsBook(h.store, 'sisley').get('wxid_bob')?.total).toBe(10)
  })

  it('sold out when the stock is gone; a cancel gives the one back and refunds', async () => {
    const { h, room } = await boot(config(codesFile('c3.txt', ['C1'])))
    const [a, b, c] = ['A', 'B', 'C'].map((n) => h.member(n))
    for (const m of [a!, b!, c!]) await give(h, room, m, 50)
    await h.say(room, a!, '兑换 sample')
    await h.say(room, b!, '兑换 sample')
    await h.say(room, c!, '兑换 sample')
    expect(h.texts(room.id).slice(-3)).toEqual(['A 兑换成功：小样，扣 30 分，剩 20 分（订单 1）', 'B 兑换成功：小样，扣 30 分，剩 20 分（订单 2）', '小样 已经兑完啦'])
    await h.say(room, boss, '#order cancel 2 缺货')
    expect(h.texts(room.id).at(-1)).toBe('订单 2 已取消：B 的 小样，退回 30 分（现有 50 分），库存已恢复')
    const refund = pointsBook(h.store, 'sisley').ledger().at(-1)!
    expect([refund.member, refund.reason, refund.delta, refund.note]).toEqual(['wxid_b', 'refund', 30, 'order 2 cancelled by wxid_boss'])
    // cancelled twice, or done after cancel: refused with the reason, nothing changes
    await h.say(room, boss, '#order cancel 2')
    expect(h.texts(room.id).at(-1)).toBe('订单 2 已经取消了，不能再改\n用法：#order list · done <订单号> · cancel <订单号> [原因]')
    await h.say(room, boss, '#order done 2')
    expect(h.texts(room.id).at(-1)).toContain('订单 2 已经取消了')
    expect(pointsBook(h.store, 'sisley').get('wxid_b')?.total).toBe(50)
    await h.say(room, c!, '兑换 sample')
    expect(h.texts(room.id).at(-1)).toBe('C 兑换成功：小样，扣 30 分，剩 20 分（订单 3）')
    const book = orderBook(h.store, 'sisley')
    expect(book.taken('sample')).toBe(2)
    expect(book.all().filter((o) => o.status !== 'cancelled')).toHaveLength(2)
    ledgerIsTruth(h.store)
  })

  it('perMember per period: refused with when the next one is possible, allowed once the window passed', async () => {
    const yaml = config(codesFile('c4.txt', ['D1']), '          - { id: twice, name: 双周礼, price: 1, perMember: 2, period: 14d }')
    const { h, room, clock } = await boot(yaml)
    const a = h.member('Amy')
    await give(h, room, a, 100)
    await h.say(room, a, '兑换 twice')
    await clock.advanceTo(sh('2026-11-30 09:00'))
    await h.say(room, a, '兑换 twice')
    await clock.advanceTo(sh('2026-12-01 12:00'))
    await h.say(room, a, '兑换 twice')
    // the first of the two leaves the 14-day window at 12-10 10:00
    expect(h.texts(room.id).at(-1)).toBe('Amy，双周礼每人每14天限兑 2 次，12月10日 10:00 后可再兑换')
    await clock.advanceTo(sh('2026-12-10 09:59'))
    await h.say(room, a, '兑换 twice')
    expect(h.texts(room.id).at(-1)).toContain('限兑 2 次')
    await clock.advanceTo(sh('2026-12-10 10:01'))
    await h.say(room, a, '兑换 twice')
    expect(h.texts(room.id).at(-1)).toMatch(/^Amy 兑换成功：双周礼/)
    // no period: ever
    await h.say(room, a, '兑换 once')
    await clock.advance(400 * 86_400_000)
    await h.say(room, a, '兑换 once')
    expect(h.texts(room.id).at(-1)).toBe('Amy，限量徽章每人限兑 1 次')
  })

  it('a cancelled order does not count against the limit', async () => {
    const { h, room } = await boot(config(codesFile('c5.txt', ['E1'])))
    const a = h.member('Ann')
    await give(h, room, a, 100)
    await h.say(room, a, '兑换 once')
    await h.say(room, boss, '#order cancel 1')
    await h.say(room, a, '兑换 once')
    expect(h.texts(room.id).at(-1)).toMatch(/^Ann 兑换成功：限量徽章.*订单 2/)
  })

  it('require: says what is missing (tags, points); granted tag has source redeem and is taken back on cancel', async () => {
    const { h, room } = await boot(config(codesFile('c6.txt', ['F1'])))
    const a = h.member('Ada')
    await give(h, room, a, 20)
    await h.say(room, a, '兑换 vip')
    expect(h.texts(room.id).at(-1)).toBe('Ada 暂时不能兑换会员礼：需要 50 分（现有 20 分），需要标签「活跃粉」')
    h.engine.tags.add('wxid_ada', '活跃粉', { source: 'admin', at: 0 })
    await give(h, room, a, 40)
    await h.say(room, a, '兑换 vip')
    expect(h.texts(room.id).at(-1)).toBe('Ada 兑换成功：会员礼，扣 5 分，剩 55 分（订单 1）')
    expect(h.engine.tags.of('wxid_ada')['礼遇']?.source).toBe('redeem')
    await h.say(room, boss, '#order cancel 1')
    expect(h.engine.tags.has('wxid_ada', '礼遇')).toBe(false)
    expect(h.engine.tags.has('wxid_ada', '活跃粉')).toBe(true)
  })

  it('the same message delivered twice is one order (the same confirmation again)', async () => {
    const { h, room } = await boot(config(codesFile('c7.txt', ['G1', 'G2'])))
    const a = h.member('Eve')
    await give(h, room, a, 100)
    const msg = { id: 'dup-1', text: '兑换 coupon', textWithoutMentions: '兑换 coupon', mentionsBot: false, mentionIds: [], date: 0 }
    await h.engine.handleMessage({ room, talker: a, message: msg })
    await h.engine.handleMessage({ room, talker: a, message: msg })
    await h.flush()
    const lines = h.texts(room.id).flatMap((t) => t.split('\n'))
    expect(lines.slice(-2)).toEqual(['Eve 兑换成功：20元券，扣 10 分，剩 90 分（订单 1）', 'Eve 兑换成功：20元券，扣 10 分，剩 90 分（订单 1）'])
    expect(orderBook(h.store, 'sisley').all()).toHaveLength(1)
    expect(h.texts('wxid_eve')).toEqual(['【兑换券码】20元券：G1\n订单 1，请妥善保存，勿转发他人'])
    expect(pointsBook(h.store, 'sisley').ledger().filter((e) => e.reason === 'redeem')).toHaveLength(1)
  })

  it('one redemption is ONE commit (debit, total, stock, order, code), and on a slow disk the reply and the code wait for it', async () => {
    const adapter = new SpyAdapter()
    const gift = `          - { id: gift, name: 礼盒, price: 40, stock: 5, delivery: codes, codes: "${codesFile('c9g.txt', ['J1', 'J2'])}" }`
    const yaml = config(codesFile('c9.txt', ['Z1']), gift)
    const { h, room, clock } = await boot(yaml, adapter)
    const ann = h.member('Ann')
    await give(h, room, ann, 100)
    const saidBefore = h.sent.length

    adapter.hold() // the disk takes its time
    await h.engine.handleMessage({
      room,
      talker: ann,
      message: { id: 'r1', text: '兑换 gift', textWithoutMentions: '兑换 gift', mentionsBot: false, mentionIds: [], date: clock.now() },
    })
    const batch = await adapter.commitWith((c) => c.key.startsWith('checkin/pool:sisley/ledger/') && (c.value as { reason?: string }).reason === 'redeem')
    const keys = batch.map((c) => c.key)
    // the debit's ledger entry and the member's new total …
    expect(batch.find((c) => c.key.startsWith('checkin/pool:sisley/members/') && c.key.endsWith('/wxid_ann'))?.value).toMatchObject({ total: 60 })
    // … with the order, the stock and the code, in the same commit
    expect(batch.find((c) => c.key.startsWith('shop/pool:sisley/orders/'))?.value).toMatchObject({ id: '1', item: 'gift', member: 'wxid_ann', code: 'J1' })
    expect(batch.find((c) => c.key === 'shop/pool:sisley/items/gift')?.value, keys.join(', ')).toEqual({ taken: 1 })
    expect(batch.find((c) => c.key.startsWith('shop/codes/'))?.value, keys.join(', ')).toMatchObject({ order: '1', member: 'wxid_ann' })

    // held: nothing confirmed, no code sent, however long the disk takes
    await clock.advance(30_000)
    await settle(20)
    expect(adapter.held).toBe(1)
    expect(h.sent.slice(saidBefore)).toEqual([])
    adapter.release()
    await h.flush()
    expect(h.texts(room.id).at(-1)).toBe('Ann 兑换成功：礼盒，扣 40 分，剩 60 分（订单 1）')
    expect(h.texts('wxid_ann')).toEqual(['【兑换券码】礼盒：J1\n订单 1，请妥善保存，勿转发他人'])
    ledgerIsTruth(h.store)
  })

  it('"兑换 <unknown>" gets a hint; "兑换券怎么用" is left to other skills; "兑换" alone lists', async () => {
    const { h, room } = await boot(config(codesFile('c8.txt', ['H1'])))
    const a = h.member('Ivy')
    await h.say(room, a, '兑换 口红')
    expect(h.texts(room.id).at(-1)).toBe('Ivy，没有找到「口红」，发「积分商城」看看能兑换什么～')
    const before = h.sent.length
    await h.say(room, a, '兑换券怎么用')
    expect(h.sent.length).toBe(before)
    await h.say(room, a, '兑换')
    expect(h.texts(room.id).at(-1)).toMatch(/^积分商城/)
  })
})

describe('shop: codes', () => {
  it('one code per order, privately; running out is sold out; a cancel does not reuse the code', async () => {
    const { h, room } = await boot(config(codesFile('k1.txt', ['K1', 'K2', 'K1', '', '# comment'])))
    const [a, b, c] = ['A', 'B', 'C'].map((n) => h.member(n))
    for (const m of [a!, b!, c!]) await give(h, room, m, 100)
    await h.say(room, a!, '兑换 coupon')
    expect(h.texts('wxid_a')).toEqual(['【兑换券码】20元券：K1\n订单 1，请妥善保存，勿转发他人'])
    // delivered: the order is done by itself
    expect(orderBook(h.store, 'sisley').get('1')).toMatchObject({ status: 'done', closedBy: 'auto', code: 'K1' })
    await h.say(room, a!, '我的兑换')
    expect(h.texts(room.id).at(-1)).toContain('券码已私信')
    await h.say(room, b!, '兑换 coupon')
    expect(h.texts('wxid_b')[0]).toContain('K2')
    await h.say(room, c!, '兑换 coupon')
    expect(h.texts(room.id).at(-1)).toBe('20元券 已经兑完啦')
    await h.say(room, c!, '积分商城')
    expect(h.texts(room.id).at(-1)).toContain('coupon · 20元券 · 10 分 · 剩 0')
    // done orders cannot be cancelled; the code stays given either way
    await h.say(room, boss, '#order cancel 2')
    expect(h.texts(room.id).at(-1)).toContain('订单 2 已经完成了')
    expect(h.texts('wxid_c')).toEqual([])
    ledgerIsTruth(h.store)
  })

  it('#order cancel of a code order: withdrawn while the code waits (never sent, refunded, not reused); refused once it is on its way', async () => {
    // WeChat holds A's first private message: what is queued behind it waits
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const clock = new FakeClock(sh('2026-11-26 10:00'))
    const h = await harness(config(codesFile('k5.txt', ['W1', 'W2', 'W3'])), { clock, beforeTransport: (to) => (to === 'wxid_a' ? held : undefined) })
    const room = h.room('粉丝1群', 'room1@chatroom')
    const a = h.member('A')
    await give(h, room, a, 100)
    await h.say(room, a, '兑换 coupon')
    await h.say(room, a, '兑换 coupon')
    const book = orderBook(h.store, 'sisley')
    // order 1's code is handed to the puppet; order 2's waits in the queue behind it
    expect(book.get('1')).toMatchObject({ status: 'pending', code: 'W1', sendingAt: expect.any(Number) })
    expect(book.get('2')).toMatchObject({ status: 'pending', code: 'W2' })
    expect(book.get('2')!.sendingAt).toBeUndefined()

    await h.say(room, boss, '#order cancel 1')
    expect(h.texts(room.id).at(-1)).toBe('订单 1 的券码已经发给会员（或正在发送），券码收不回，不能取消；要补偿请用 #points add\n用法：#order list · done <订单号> · cancel <订单号> [原因]')
    await h.say(room, boss, '#order cancel 2 发错了')
    expect(h.texts(room.id).at(-1)).toBe('订单 2 已取消：A 的 20元券，退回 10 分（现有 90 分），库存已恢复')

    release()
    await h.flush()
    await h.clock.advance(60_000)
    // only order 1's code ever reached A
    expect(h.texts('wxid_a')).toEqual(['【兑换券码】20元券：W1\n订单 1，请妥善保存，勿转发他人'])
    expect(book.get('1')).toMatchObject({ status: 'done', closedBy: 'auto', deliveredAt: expect.any(Number) })
    expect(book.get('2')).toMatchObject({ status: 'cancelled', closedBy: 'wxid_boss', note: '发错了' })
    expect(book.get('2')!.deliveredAt).toBeUndefined()
    expect(pointsBook(h.store, 'sisley').get('wxid_a')?.total).toBe(90)
    // the withdrawn code is never given again
    await h.say(room, a, '兑换 coupon')
    expect(h.texts('wxid_a').at(-1)).toBe('【兑换券码】20元券：W3\n订单 3，请妥善保存，勿转发他人')
    ledgerIsTruth(h.store)
  })

  it('never the same code twice: across a restart and a reload that reorders and adds codes', async () => {
    const file = codesFile('k2.txt', ['R1', 'R2'])
    const yaml = config(file)
    const adapter = new MemoryAdapter()
    const first = await boot(yaml, adapter)
    const a = first.h.member('A')
    await give(first.h, first.room, a, 100)
    await first.h.say(first.room, a, '兑换 coupon')
    await first.h.store.durable()
    first.h.engine.stop()

    // a new process on the same data, the file reordered and grown meanwhile
    writeFileSync(file, 'R3\nR2\nR1\n')
    const second = await boot(yaml, adapter)
    const b = second.h.member('B')
    await give(second.h, second.room, b, 100)
    await second.h.say(second.room, b, '兑换 coupon')
    expect(second.h.texts('wxid_b')[0]).toContain('R3')
    // a reload re-reads the file: codes given stay given
    writeFileSync(file, 'R1\nR2\nR3\nR4\n')
    second.h.setReloadYaml(yaml)
    await second.h.say(second.room, boss, '#reload')
    expect(second.h.texts(second.room.id).at(-1)).toContain('配置已重新加载')
    for (const n of ['C', 'D', 'E']) {
      const m = second.h.member(n)
      await give(second.h, second.room, m, 100)
      await second.h.say(second.room, m, '兑换 coupon')
    }
    const given = orderBook(second.h.store, 'sisley').all().map((o: Order) => o.code)
    expect(given).toEqual(['R1', 'R3', 'R2', 'R4'])
    expect(second.h.texts(second.room.id).at(-1)).toBe('20元券 已经兑完啦')
    const ledger = new CodeLedger(second.h.store)
    for (const [i, code] of given.entries()) expect(ledger.assignment(code!)?.order).toBe(String(i + 1))
  })

  it('a code whose message never went out (a crash) is sent again at the next start: the same code', async () => {
    const yaml = config(codesFile('k3.txt', ['S1', 'S2']))
    const adapter = new MemoryAdapter()
    const first = await boot(yaml, adapter)
    const a = first.h.member('A')
    await give(first.h, first.room, a, 100)
    await first.h.say(first.room, a, '兑换 coupon')
    // as if the process died after the order was stored, before the private message left
    const book = orderBook(first.h.store, 'sisley')
    const { deliveredAt: _d, closedAt: _c, closedBy: _b, ...undelivered } = book.get('1')!
    book.put({ ...undelivered, status: 'pending' })
    await first.h.store.durable()
    first.h.engine.stop()

    const second = await boot(yaml, adapter)
    await second.h.flush()
    expect(second.h.texts('wxid_a')).toEqual(['【兑换券码】20元券：S1\n订单 1，请妥善保存，勿转发他人'])
    expect(orderBook(second.h.store, 'sisley').get('1')).toMatchObject({ status: 'done', code: 'S1' })
    // a reload does not send it a third time
    second.h.setReloadYaml(yaml)
    await second.h.say(second.room, boss, '#reload')
    expect(second.h.texts('wxid_a')).toHaveLength(1)
  })

  it('a missing codes file is a config error at its line and column', () => {
    const errors = configErrors(config(join(dir, 'nope.txt')), SKILLS)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatch(/^bot\.yaml:12:\d+: .*codes file .*nope\.txt: file not found/)
  })

  it('delivery codes without a file, or a period without perMember, are config errors', () => {
    const yaml = (item: string) => `
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      shop:
        items:
          - ${item}
`
    expect(configErrors(yaml('{ id: a, name: A, price: 1, delivery: codes }'), SKILLS)[0]).toContain('delivery: codes needs codes')
    expect(configErrors(yaml('{ id: a, name: A, price: 1, period: 30d }'), SKILLS)[0]).toContain('set perMember too')
    expect(configErrors(yaml('{ id: a, name: A, price: -1 }'), SKILLS)[0]).toContain('price must be 0 or more')
  })
})

describe('points: admin adjustments', () => {
  it('add and sub with a reason: ledger entries `adjust` naming the admin; never below zero', async () => {
    const { h, room } = await boot(config(codesFile('p1.txt', ['P1'])))
    const a = h.member('Amy')
    await h.say(room, boss, '#points add @Amy 50 直播抽奖', { mentionIds: ['wxid_amy'] })
    expect(h.texts(room.id).at(-1)).toBe('积分池 sisley：Amy +50，现有 50 分（直播抽奖）')
    await h.say(room, boss, '#points sub @Amy 80', { mentionIds: ['wxid_amy'] })
    expect(h.texts(room.id).at(-1)).toBe('不能扣 80 分，积分不能为负：Amy 只有 50 分（未做任何修改）')
    await h.say(room, boss, '#points sub @Amy 20 误加', { mentionIds: ['wxid_amy'] })
    expect(h.texts(room.id).at(-1)).toBe('积分池 sisley：Amy -20，现有 30 分（误加）')
    const entries = pointsBook(h.store, 'sisley').ledger().map((e) => [e.reason, e.delta, e.note])
    expect(entries).toEqual([
      ['adjust', 50, 'by wxid_boss: 直播抽奖'],
      ['adjust', -20, 'by wxid_boss: 误加'],
    ])
    // the member's own check-in keeps adding to the same row
    await h.say(room, a, '签到')
    expect(h.texts(room.id).at(-1)).toBe('Amy 签到成功 +10，连续 1 天，共 40 分')
    ledgerIsTruth(h.store)
  })

  it('bad commands get a short usage; members get nothing', async () => {
    const { h, room } = await boot(config(codesFile('p2.txt', ['P1'])))
    await h.say(room, boss, '#points add @Amy 十分', { mentionIds: ['wxid_amy'] })
    expect(h.texts(room.id).at(-1)).toBe('写上分数，例如 #points add @小美 50 活动奖励\n用法：#points add|sub @成员 <分数> [原因]')
    await h.say(room, boss, '#points give @Amy 5', { mentionIds: ['wxid_amy'] })
    expect(h.texts(room.id).at(-1)).toContain('没有「give」这个子命令')
    await h.say(room, boss, '#points add 5')
    expect(h.texts(room.id).at(-1)).toContain('要给谁？')
    await h.say(room, boss, '#order frobnicate')
    expect(h.texts(room.id).at(-1)).toContain('用法：#order list')
    const before = h.sent.length
    await h.say(room, h.member('Amy'), '#points add @Amy 500', { mentionIds: ['wxid_amy'] })
    await h.say(room, h.member('Amy'), '#order cancel 1')
    expect(h.sent.length).toBe(before)
    expect(pointsBook(h.store, 'sisley').get('wxid_amy')).toBeUndefined()
  })

  it('works in a group without a shop', async () => {
    const yaml = `
bot: { admins: [wxid_boss] }
groups:
  - name: plain
    match: { topic: "粉丝*" }
    skills: { checkin: {}, points: {} }
`
    const clock = new FakeClock(sh('2026-11-26 10:00'))
    const h = await harness(yaml, { clock })
    const room = h.room('粉丝9群')
    await h.say(room, boss, '#points add @Bo 7', { mentionIds: ['wxid_bo'] })
    expect(h.texts(room.id).at(-1)).toBe('积分池 plain：Bo +7，现有 7 分')
    expect(pointsBook(h.store, 'plain').get('wxid_bo')).toMatchObject({ total: 7, name: 'Bo' })
  })

  it('a member typed twice is one change: `sub wxid_a wxid_a 60` on 100 takes 60, and a sub too big for the sum is refused whole', async () => {
    const { h, room } = await boot(config(codesFile('p3.txt', ['P1'])))
    await h.say(room, boss, '#points add wxid_a 100')
    await h.say(room, boss, '#points sub wxid_a wxid_a 60 重复')
    expect(h.texts(room.id).at(-1)).toBe('积分池 sisley：wxid_a -60，现有 40 分（重复）')
    await h.say(room, boss, '#points sub wxid_a wxid_b wxid_a 30')
    expect(h.texts(room.id).at(-1)).toBe('不能扣 30 分，积分不能为负：wxid_b 只有 0 分（未做任何修改）')
    const book = pointsBook(h.store, 'sisley')
    expect(book.get('wxid_a')?.total).toBe(40)
    expect(book.ledger().map((e) => [e.member, e.delta])).toEqual([
      ['wxid_a', 100],
      ['wxid_a', -60],
    ])
    ledgerIsTruth(h.store)
  })
})
