import { describe, expect, it } from 'vitest'
import type { AiClient } from '../../../src/ai/AiClient.js'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { SWEEP_EVERY_MS } from '../../../src/engine/Engine.js'
import { harness, type Harness } from '../../helpers/harness.js'

/*
 * The data dir does not grow without bound: 100,000 messages from 10,000 members over a
 * simulated month, through every skill that keeps short-lived records — model quotas,
 * rule cooldowns, welcome batches (with their jobs), subscriptions and deliveries of past
 * lives, recent joins. Those come back to a small bound; ledgers and daily stats grow.
 */
const DAY = 24 * 3600_000
const START = Date.UTC(2026, 10, 1, 0, 0, 0)
const MEMBERS = 10_000
const MESSAGES = 100_000
const ROOMS = 20
const DAYS = 33 // the first live (day 1) is then over 30 days old: its records go

const yaml = `bot: { timezone: Asia/Shanghai, admins: [wxid_boss] }
ai: { model: stub-model }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      welcome: { batchSeconds: 30 }
      checkin: {}
      live:
        lives:
          - { id: w1, title: 第一场, start: "2026-11-02 20:00" }
          - { id: w4, title: 第四周, start: "2026-11-30 20:00" }
        remind: [1h]
      autoreply:
        rules:
          - keywords: [发货]
            reply: "48 小时内发货"
            cooldownSeconds: 60
          - regex: "优惠(券|码)"
            reply: "看群公告"
            cooldownSeconds: 300
        ai: { whenMentioned: true, perMemberPerHour: 3 }
`

const model: AiClient = { model: 'stub-model', ask: async () => '好的，已经为你查询。' }

/** A small seeded generator (mulberry32): the same month on every run. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const count = (h: Harness, prefix: string): number => h.store.keys(prefix, false).length

/** Every kind of short-lived record, by store prefix. */
function shortLived(h: Harness) {
  return {
    quotas: count(h, 'autoreply/group:fans/asked/'),
    cooldowns: count(h, 'autoreply/group:fans/cooldown/'),
    welcomeBatches: count(h, 'welcome/'),
    welcomeJobs: count(h, 'core/jobs/welcome/'),
    liveJobs: count(h, 'core/jobs/live/'),
    liveDeliveries: count(h, 'live/group:fans/sends/'),
    liveSubscriptions: count(h, 'live/group:fans/subs/'),
    recentJoins: h.engine.recentJoinCount,
  }
}

describe('the data dir does not grow without bound', () => {
  it('100,000 messages from 10,000 members over a month: short-lived records back to a small bound', { timeout: 300_000 }, async () => {
    const clock = new FakeClock(START)
    const h = await harness(yaml, { clock, ai: model })
    const rooms = Array.from({ length: ROOMS }, (_, i) => h.room(`粉丝${i + 1}群`, `room${i + 1}@chatroom`))
    const random = rng(20261101)
    const step = Math.floor((DAYS * DAY) / MESSAGES)
    let peakQuotas = 0
    let joins = 0
    let checkins = 0

    for (let i = 0; i < MESSAGES; i++) {
      const n = Math.floor(random() * MEMBERS)
      const room = rooms[n % ROOMS]!
      const talker = { id: `wxid_m${n}`, name: `成员${n}` }
      const r = random()
      const text = r < 0.3 ? '签到' : r < 0.5 ? '@小助手 这个怎么用' : r < 0.6 ? '什么时候发货' : r < 0.65 ? '有优惠券吗' : r < 0.7 ? '预约' : '哈哈'
      if (text === '签到') checkins++
      const mentionsBot = text.startsWith('@')
      await h.engine.handleMessage({
        room,
        talker,
        message: { id: `m${i}`, text, textWithoutMentions: mentionsBot ? '这个怎么用' : text, mentionsBot, mentionIds: [], date: clock.now() },
      })
      if (i % 50 === 0) {
        await h.engine.handleJoin({ room, members: [{ id: `wxid_new${joins}`, name: `新人${joins}` }], memberCount: 100 })
        joins++
      }
      if (i % 100 === 99) {
        await clock.advance(step * 100)
        await h.engine.settle(1_000)
        peakQuotas = Math.max(peakQuotas, count(h, 'autoreply/group:fans/asked/'))
      }
    }
    await h.engine.settle(1_000)
    await h.flush()

    // quiet for two sweeps: everything short-lived that is over is gone
    await clock.advance(2 * SWEEP_EVERY_MS)
    await h.flush()
    const after = shortLived(h)
    expect(after).toEqual({
      quotas: 0,
      cooldowns: 0,
      welcomeBatches: 0,
      welcomeJobs: 0,
      // only the second live (3 days ago) is remembered: its 2 slots, its rooms' deliveries
      liveJobs: 2,
      liveDeliveries: expect.any(Number),
      liveSubscriptions: expect.any(Number),
      recentJoins: 0,
    })
    expect(after.liveDeliveries).toBeLessThanOrEqual(2 * ROOMS)
    // subscriptions of the first live (the busiest: a month of 预约 before it) are gone
    expect(h.store.keys('live/group:fans/subs/', false).every((k) => k.startsWith('live/group:fans/subs/c:w4'))).toBe(true)
    // the model quotas were swept as the month went: at most about two hours of askers at once
    // (3,000 messages ≈ 1 day; 20% of messages ask, from 10,000 members), never everyone who ever asked
    expect(peakQuotas).toBeLessThan(1_000)

    // what is meant to grow did: every member's points and the ledger of every check-in
    expect(count(h, 'checkin/pool:fans/ledger/')).toBeGreaterThan(checkins * 0.5)
    expect(count(h, 'core/stats/fans/')).toBeGreaterThanOrEqual(DAYS * ROOMS)
    expect(h.sent.length).toBeGreaterThan(10_000)
  })
})
