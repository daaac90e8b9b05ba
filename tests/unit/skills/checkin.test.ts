import { describe, expect, it } from 'vitest'
import { DateTime } from 'luxon'
import { CheckinSkill } from '../../../skills/checkin/index.js'
import { PointsBook } from '../../../src/members/PointsBook.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { MemoryAdapter } from '../../../src/store/MemoryAdapter.js'
import type { Change } from '../../../src/store/StorageAdapter.js'
import { harness } from '../../helpers/harness.js'

const shanghai = (local: string) => DateTime.fromFormat(local, 'yyyy-MM-dd HH:mm:ss', { zone: 'Asia/Shanghai' }).toMillis()

const yaml = (checkin = '{}', tz = 'Asia/Shanghai') => `
bot: { timezone: ${tz}, admins: [wxid_boss] }
groups:
  - name: sisley-1
    match: { topic: "希思黎1群" }
    skills:
      checkin: ${checkin}
  - name: sisley-2
    match: { topic: "希思黎2群" }
    skills:
      checkin: ${checkin}
`

async function setup(checkin = '{}', start = '2026-11-26 10:00:00', tz = 'Asia/Shanghai') {
  const clock = new FakeClock(shanghai(start))
  const h = await harness(yaml(checkin, tz), { skills: [CheckinSkill], clock })
  return { h, clock, room: h.room('希思黎1群'), room2: h.room('希思黎2群') }
}

describe('checkin: daily points', () => {
  it('confirms a check-in, then says "already" the same day', async () => {
    const { h, room } = await setup()
    const alice = h.member('Alice')
    await h.say(room, alice, ' 签到 ')
    await h.say(room, alice, '打卡')
    expect(h.texts(room.id)).toEqual(['Alice 签到成功 +10，连续 1 天，共 10 分', 'Alice 今天已签到，共 10 分'])
    expect(h.engine.stats.forRoom('sisley-1', room.id).checkins).toBe(1)
  })

  it('only the whole message triggers', async () => {
    const { h, room } = await setup()
    await h.say(room, h.member('Alice'), '我要签到')
    expect(h.sent).toEqual([])
  })

  it('a day ends at midnight in bot.timezone, not in UTC', async () => {
    const { h, room, clock } = await setup('{}', '2026-11-26 23:59:58')
    const a = h.member('Alice')
    await h.say(room, a, '签到')
    await clock.advanceTo(shanghai('2026-11-27 00:00:01')) // 3 s later, a new day in Shanghai
    await h.say(room, a, '签到')
    // 08:00 in Shanghai is midnight UTC: no new day there
    await clock.advanceTo(shanghai('2026-11-27 08:00:30'))
    await h.say(room, a, '签到')
    expect(h.texts(room.id)).toEqual([
      'Alice 签到成功 +10，连续 1 天，共 10 分',
      'Alice 签到成功 +10，连续 2 天，共 20 分',
      'Alice 今天已签到，共 20 分',
    ])
  })

  it('the same instants are one day in UTC (the zone is what counts)', async () => {
    const { h, room, clock } = await setup('{}', '2026-11-26 23:59:58', 'UTC')
    const a = h.member('Alice')
    await h.say(room, a, '签到')
    await clock.advanceTo(shanghai('2026-11-27 00:00:01'))
    await h.say(room, a, '签到')
    expect(h.texts(room.id)[1]).toBe('Alice 今天已签到，共 10 分')
  })

  it('missing a day resets the streak; the bonus is paid on the day the streak reaches N', async () => {
    const { h, room, clock } = await setup('{ streakBonus: { 3: 30, 5: 100 } }')
    const a = h.member('Alice')
    const replies: string[] = []
    for (let day = 0; day < 6; day++) {
      await h.say(room, a, '签到')
      replies.push(h.texts(room.id).at(-1)!)
      await clock.advance(24 * 3600_000)
    }
    await clock.advance(24 * 3600_000) // a day missed
    await h.say(room, a, '签到')
    replies.push(h.texts(room.id).at(-1)!)
    expect(replies).toEqual([
      'Alice 签到成功 +10，连续 1 天，共 10 分',
      'Alice 签到成功 +10，连续 2 天，共 20 分',
      'Alice 签到成功 +40，连续 3 天，共 60 分',
      'Alice 签到成功 +10，连续 4 天，共 70 分',
      'Alice 签到成功 +110，连续 5 天，共 180 分',
      'Alice 签到成功 +10，连续 6 天，共 190 分',
      'Alice 签到成功 +10，连续 1 天，共 200 分',
    ])
  })

  it('groups with the same pool share points; others do not', async () => {
    const { h, room, room2 } = await setup('{ pool: sisley }')
    const a = h.member('Alice')
    await h.say(room, a, '签到')
    await h.say(room2, a, '签到')
    expect(h.texts(room2.id)).toEqual(['Alice 今天已签到，共 10 分'])

    const separate = await setup('{}')
    await separate.h.say(separate.room, a, '签到')
    await separate.h.say(separate.room2, a, '签到')
    expect(separate.h.texts(separate.room2.id)).toEqual(['Alice 签到成功 +10，连续 1 天，共 10 分'])
  })

  it('the leaderboard ranks by points, ties going to whoever got there first', async () => {
    const { h, room, clock } = await setup('{ rankTop: 3 }')
    for (const name of ['Carol', 'Alice', 'Bob', 'Dave']) {
      await h.say(room, h.member(name), '签到')
      await clock.advance(1_000)
    }
    await clock.advance(24 * 3600_000)
    await h.say(room, h.member('Dave'), '签到')
    await h.say(room, h.member('Alice'), '积分榜')
    expect(h.texts(room.id).at(-1)).toBe('积分榜 TOP3\n1. Dave 20\n2. Carol 10\n3. Alice 10')
  })

  it('"my points" tells rank and streak; nothing yet is said kindly', async () => {
    const { h, room } = await setup()
    await h.say(room, h.member('Zed'), '我的积分')
    await h.say(room, h.member('Alice'), '签到')
    await h.say(room, h.member('Bob'), '签到')
    await h.say(room, h.member('Bob'), '我的积分')
    expect(h.texts(room.id)).toContain('Zed 还没有积分，发「签到」开始吧～')
    expect(h.texts(room.id).at(-1)).toBe('Bob 共 10 分，第 2 名，连续 1 天')
  })

  it('a member who renames keeps their points (keys are contact ids)', async () => {
    const { h, room, clock } = await setup()
    await h.say(room, { id: 'wxid_a', name: 'Alice' }, '签到')
    await clock.advance(24 * 3600_000)
    await h.say(room, { id: 'wxid_a', name: 'Alicia 🌸' }, '签到')
    await h.say(room, { id: 'wxid_b', name: 'Alice' }, '积分榜')
    expect(h.texts(room.id).at(-1)).toBe('积分榜 TOP10\n1. Alicia 🌸 20')
  })

  it('keeps a ledger from which every total can be recomputed; adjustments fit in', async () => {
    const { h, room, clock } = await setup('{ streakBonus: { 2: 5 } }')
    for (let d = 0; d < 4; d++) {
      for (let m = 0; m < 7; m++) if ((d + m) % 3 !== 0) await h.say(room, h.member(`m${m}`), '签到')
      await clock.advance(24 * 3600_000)
    }
    const ns = await h.store.open('checkin/pool:sisley-1/')
    const points = new PointsBook(ns)
    points.adjust('wxid_m1', -15, 'redeem', { now: clock.now(), day: '2026-11-30', group: 'sisley-1', note: '兑换小样' })
    const ledger = points.ledger()
    expect(ledger.some((e) => e.reason === 'streakBonus')).toBe(true)
    expect(ledger.every((e) => e.member && e.at && e.group === 'sisley-1' && e.delta !== 0)).toBe(true)
    const recomputed = points.recomputeTotals()
    for (const [id, row] of points.members.rows()) expect(recomputed.get(id)).toBe(row.total)
  })

  it('200 check-ins within seconds: every one recorded and acknowledged, none twice', async () => {
    const clock = new FakeClock(shanghai('2026-11-26 20:00:00'))
    const h = await harness(yaml(), { skills: [CheckinSkill], clock, limits: { roomPerMinute: 20, totalPerMinute: 60 } })
    const room = h.room('希思黎1群')
    const members = Array.from({ length: 200 }, (_, i) => h.member(`会员${i}`, `wxid_${i}`))
    await Promise.all(members.map((m) => h.say(room, m, '签到')))
    await Promise.all(members.slice(0, 20).map((m) => h.say(room, m, '签到'))) // some send it twice
    await clock.advance(3 * 60_000)
    const lines = h.texts(room.id).flatMap((t) => t.split('\n'))
    expect(lines.filter((l) => l.includes('签到成功'))).toHaveLength(200)
    expect(lines.filter((l) => l.includes('今天已签到'))).toHaveLength(20)
    for (const m of members) expect(lines.filter((l) => l.startsWith(`${m.name} 签到成功`))).toHaveLength(1)
    expect(h.sent.length).toBeLessThanOrEqual(20) // merged, within one minute's room budget
    const ns = await h.store.open('checkin/pool:sisley-1/')
    expect(new PointsBook(ns).ledger()).toHaveLength(200)
  })

  it('never confirms a check-in before it is on disk', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => (release = r))
    class SlowDisk extends MemoryAdapter {
      override commit(changes: readonly Change[]): Promise<void> {
        const done = super.commit(changes)
        return gate.then(() => done)
      }
    }
    const clock = new FakeClock(shanghai('2026-11-26 10:00:00'))
    const h = await harness(yaml(), { skills: [CheckinSkill], clock, adapter: new SlowDisk() })
    const room = h.room('希思黎1群')
    await h.engine.handleMessage({
      room,
      talker: h.member('Alice'),
      message: { id: 'm1', text: '签到', textWithoutMentions: '签到', mentionsBot: false, mentionIds: [], date: clock.now() },
    })
    await clock.advance(5_000)
    expect(h.sent).toHaveLength(0)
    release()
    await h.flush()
    expect(h.texts(room.id)).toEqual(['Alice 签到成功 +10，连续 1 天，共 10 分'])
  })

  it('batchSeconds > 0 gathers confirmations into one message', async () => {
    const { h, room, clock } = await setup('{ batchSeconds: 5 }')
    for (const n of ['A', 'B', 'C']) await h.say(room, h.member(n), '签到')
    expect(h.sent).toHaveLength(0)
    await clock.advance(5_000)
    expect(h.texts(room.id)).toEqual(['A 签到成功 +10，连续 1 天，共 10 分\nB 签到成功 +10，连续 1 天，共 10 分\nC 签到成功 +10，连续 1 天，共 10 分'])
  })

  it('{rank} in the reply is the rank after this check-in', async () => {
    const { h, room } = await setup('{ reply: "{name} +{points}，第 {rank} 名" }')
    await h.say(room, h.member('A'), '签到')
    await h.say(room, h.member('B'), '签到')
    expect(h.texts(room.id)).toEqual(['A +10，第 1 名', 'B +10，第 2 名'])
  })
})
