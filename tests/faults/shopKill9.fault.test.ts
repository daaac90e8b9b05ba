import { cp, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CodeLedger } from '../../skills/shop/Codes.js'
import { orderBook, type Order } from '../../skills/shop/Orders.js'
import { pointsBook } from '../../src/engine/SkillContext.js'
import { FileAdapter } from '../../src/store/FileAdapter.js'
import { Store } from '../../src/store/Store.js'
import { BotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * 1,000 redemption requests from 500 members (each asks twice) for an item with stock 100,
 * and a kill -9 at a random moment of the burst; ten rounds, a fresh item each round. After
 * every kill the data dir the next start loads is checked: every confirmed order is there,
 * stock and orders agree, every balance is the sum of its ledger and none is negative, no
 * code was given twice.
 */
const ROUNDS = Number(process.env.SHOP_KILL9_ROUNDS ?? 10)
const MEMBERS = 500
const ROOMS = 5
const STOCK = 100
const PRICE = 10
const START_POINTS = 10_000
const POOL = 'fans'

const items = Array.from({ length: ROUNDS }, (_, r) => `          - { id: i${r}, name: 礼品${r}, price: ${PRICE}, stock: ${STOCK}, delivery: codes, codes: "CODES" }`)
const config = (codes: string) => `bot:
  admins: [wxid_boss]
  rateLimit: false
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { pool: ${POOL} }
      shop:
        items:
${items.join('\n').replaceAll('CODES', codes)}
`

const idOf = (i: number) => `wxid_m${i}`

describe('fault: kill -9 during a redemption burst', () => {
  let world: BotWorld

  beforeAll(async () => {
    world = await BotWorld.create('shop-kill9')
    // one codes file for every item: a code is never given twice, whatever item takes it
    const codes = join(world.dir, 'codes.txt')
    await writeFile(codes, Array.from({ length: ROUNDS * STOCK + 50 }, (_, i) => `K${String(i).padStart(5, '0')}`).join('\n'))
    await world.writeConfig(config(codes))
    // members start with enough points for every round (a seeded data dir, as after months of check-ins)
    const adapter = new FileAdapter(world.dataDir)
    await adapter.open()
    const store = new Store(adapter)
    await store.open('checkin/')
    const book = pointsBook(store, POOL)
    for (let i = 0; i < MEMBERS; i++) book.change(idOf(i), START_POINTS, 'adjust', { now: Date.now(), day: '2026-11-26', group: 'fans', note: 'seed', name: `m${i}` })
    await store.close()
  }, 60_000)
  afterAll(async () => world?.close())

  it(`${ROUNDS} rounds: exactly the confirmed orders stay, stock + orders = ${STOCK}, balances = ledger, no code twice`, async () => {
    const svc = world.svc
    const members = Array.from({ length: MEMBERS }, (_, i) => svc.contact(`m${i}`, idOf(i)))
    const rooms = Array.from({ length: ROOMS }, (_, r) => svc.room(`粉丝${r}群`, members.filter((_, i) => i % ROOMS === r)))
    const roomIds = new Set(rooms.map((r) => r.id))
    const confirmed = new Map<string, string>() // order id → member name, as the bot confirmed in chat
    /** Collect the confirmations said since `from`; how many there were. */
    const confirmedFrom = (from: number): number => {
      let n = 0
      for (const s of svc.said.slice(from)) {
        if (!s.roomId || !roomIds.has(s.roomId)) continue
        for (const line of s.text.split('\n')) {
          const m = /^(\S+) 兑换成功：.*（订单 (\d+)）$/.exec(line)
          if (m) {
            confirmed.set(m[2]!, m[1]!)
            n++
          }
        }
      }
      return n
    }
    let interrupted = 0
    let lastTaken = 0
    let bot = await world.startBot({ ready: false })
    for (let round = 0; round < ROUNDS; round++) {
      await bot.ready()
      const from = svc.said.length
      // 1,000 requests over ~500 ms, in the rooms in parallel; the kill lands at a random moment
      const timers: NodeJS.Timeout[] = []
      for (let k = 0; k < 2 * MEMBERS; k++) {
        const i = k % MEMBERS
        timers.push(setTimeout(() => members[i]!.say(`兑换 i${round}`).to(rooms[i % ROOMS]!), Math.floor(k / 2)))
      }
      // the moment of the kill: in odd rounds right after a random number of orders were
      // stored (the bot's `order placed` lines: while requests are still being read and
      // stored, before most confirmations), in even rounds right after a random number of
      // answers went out (while confirmations are being sent)
      const answers = () => svc.said.slice(from).reduce((n, x) => n + (x.roomId && roomIds.has(x.roomId) ? x.text.split('\n').length : 0), 0)
      const placed = (b: typeof bot) => b.logs.filter((l) => l.msg === 'order placed').length
      if (round % 2 === 1) {
        const after = 1 + Math.floor(Math.random() * STOCK)
        await waitFor(() => placed(bot) >= after, { timeoutMs: 120_000, what: `${after} orders placed` })
      } else {
        // (a member's own repeated replies merge into one message, so a round answers fewer
        // lines than its 1,000 requests; every member is answered at least once)
        const after = 1 + Math.floor(Math.random() * (MEMBERS - 1))
        await waitFor(() => answers() >= after, { timeoutMs: 120_000, what: `${after} answers` })
      }
      bot.kill('SIGKILL')
      await bot.exited
      timers.forEach(clearTimeout)
      confirmedFrom(from)
      ;({ lastTaken } = await checkDataDir(round, confirmed))
      // fewer answer lines than members: some were not answered yet when it died
      if (answers() < MEMBERS) interrupted++
      bot = await world.startBot({ ready: false })
    }
    await bot.ready()
    // the restarted bot shows the stock the data dir holds
    members[0]!.say('积分商城').to(rooms[0]!)
    expect(await svc.waitForText(rooms[0]!, '积分商城（')).toContain(`i${ROUNDS - 1} · 礼品${ROUNDS - 1} · ${PRICE} 分 · 剩 ${STOCK - lastTaken}`)
    expect(await bot.stop()).toBe(0)
    const { orders } = await checkDataDir(ROUNDS, confirmed)
    // privately, each code went to one member only (a resend after a restart goes to the same one)
    const recipients = new Map<string, Set<string>>()
    for (const x of svc.said) {
      const code = !x.roomId && x.to ? /K\d{5}/.exec(x.text)?.[0] : undefined
      if (code) recipients.set(code, (recipients.get(code) ?? new Set()).add(x.to!))
    }
    expect(recipients.size).toBeGreaterThan(0)
    for (const [code, to] of recipients) expect([...to], code).toEqual([orders.find((o) => o.code === code)?.member])
    // the kills did land before the bursts were through
    expect(interrupted).toBeGreaterThanOrEqual(Math.ceil(ROUNDS / 2))
    expect(confirmed.size).toBeGreaterThan(0)
  }, 900_000)

  /** Open a copy of the data dir (as the next start will) and check every invariant. */
  async function checkDataDir(round: number, confirmed: Map<string, string>): Promise<{ lastTaken: number; orders: Order[] }> {
    const copy = join(world.dir, `check-${round}`)
    await cp(world.dataDir, copy, { recursive: true })
    await rm(join(copy, '.lock'), { force: true })
    const adapter = new FileAdapter(copy)
    await adapter.open()
    const store = new Store(adapter)
    await store.open('checkin/')
    await store.open('shop/')
    try {
      const book = orderBook(store, POOL)
      const orders = book.all()
      const byId = new Map(orders.map((o) => [o.id, o]))
      // every confirmed order exists, for the member it was confirmed to, and stands
      for (const [id, name] of confirmed) {
        const o = byId.get(id)
        expect(o, `confirmed order ${id}`).toBeDefined()
        expect(o!.memberName).toBe(name)
        expect(o!.status).not.toBe('cancelled')
      }
      // stock + orders = 100 for every item
      let lastTaken = 0
      for (let r = 0; r < ROUNDS; r++) {
        const n = orders.filter((o) => o.item === `i${r}`).length
        expect(book.taken(`i${r}`), `item i${r}`).toBe(n)
        expect(STOCK - book.taken(`i${r}`) + n).toBe(STOCK)
        expect(n).toBeLessThanOrEqual(STOCK)
        lastTaken = n
      }
      // every balance is the sum of its ledger, none negative, and each order is one debit
      const points = pointsBook(store, POOL)
      const totals = points.recomputeTotals()
      expect(totals.size).toBe(MEMBERS)
      const perMember = new Map<string, Order[]>()
      for (const o of orders) perMember.set(o.member, [...(perMember.get(o.member) ?? []), o])
      for (const [id, total] of totals) {
        expect(points.get(id)?.total, id).toBe(total)
        expect(total).toBeGreaterThanOrEqual(0)
        expect(total, id).toBe(START_POINTS - PRICE * (perMember.get(id)?.length ?? 0))
      }
      expect(points.ledger().filter((e) => e.reason === 'redeem')).toHaveLength(orders.length)
      // no code twice: one distinct code per order, and the code ledger agrees
      const codes = orders.map((o) => o.code)
      expect(new Set(codes).size).toBe(orders.length)
      const ledger = new CodeLedger(store)
      for (const o of orders) expect(ledger.assignment(o.code!)?.order, `code of order ${o.id}`).toBe(o.id)
      // the order ids are 1..n without a gap (the counter moves with the order, atomically)
      expect(orders.map((o) => Number(o.id))).toEqual(orders.map((_, i) => i + 1))
      return { lastTaken, orders }
    } finally {
      await store.close()
      await rm(copy, { recursive: true, force: true })
    }
  }
})
