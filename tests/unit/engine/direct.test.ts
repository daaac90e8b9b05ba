import { z } from 'zod'
import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { defineSkill, type Skill } from '../../../src/engine/Skill.js'
import { ActionGovernor } from '../../../src/send/ActionGovernor.js'
import { SKILLS } from '../../../skills/index.js'
import { harness } from '../../helpers/harness.js'

describe('private messages and friend requests through the engine', () => {
  it('a DM reaches no skill that does not opt in: nothing is said', async () => {
    const h = await harness(`groups:\n  - name: g\n    match: { topic: "*" }\n    skills: { checkin: {}, ping: {}, live: {}, welcome: {} }\n`)
    await h.dm(h.member('Alice'), 'ping')
    await h.dm(h.member('Alice'), '签到')
    expect(h.sent).toEqual([])
  })

  it('onDirect runs once per group that enables the skill, registry order first, groups in config order; true ends the chain', async () => {
    const calls: string[] = []
    const make = (name: string, answerIn: string | undefined) =>
      defineSkill({
        name,
        description: name,
        config: z.strictObject({}),
        onDirect(ctx) {
          calls.push(`${name}@${ctx.group.name}`)
          if (ctx.group.name !== answerIn) return false
          void ctx.reply(`${name} in ${ctx.group.name} for ${ctx.contact.name}`, { kind: 'info' })
          return true
        },
      })
    const skills: Skill<any>[] = [make('first', undefined), make('second', 'g2'), make('third', 'g1')]
    const h = await harness(
      `groups:
  - name: g1
    match: { topic: "a*" }
    skills: { first: {}, second: {}, third: {} }
  - name: g2
    match: { topic: "b*" }
    skills: { second: {}, first: {} }
  - name: g3
    match: { topic: "c*" }
    skills: { third: {} }
`,
      { skills },
    )
    await h.dm(h.member('Alice'), 'hi')
    expect(calls).toEqual(['first@g1', 'first@g2', 'second@g1', 'second@g2'])
    expect(h.texts('wxid_alice')).toEqual(['second in g2 for Alice'])
  })

  it('a skill that throws on a DM is skipped; empty and over-long DMs reach nobody', async () => {
    const seen: string[] = []
    const boom = defineSkill({ name: 'boom', description: '', config: z.strictObject({}), onDirect: () => { throw new Error('x') } })
    const echo = defineSkill({ name: 'echo', description: '', config: z.strictObject({}), onDirect: (ctx) => void seen.push(ctx.message.text) })
    const h = await harness(`groups:\n  - name: g\n    match: { topic: "*" }\n    skills: { boom: {}, echo: {} }\n`, { skills: [boom, echo] })
    await h.dm(h.member('A'), 'one')
    await h.dm(h.member('A'), '')
    await h.dm(h.member('A'), 'x'.repeat(5000))
    expect(seen).toEqual(['one'])
  })

  it('friend requests go to every skill with onFriendship, brand-wide, until one handles it', async () => {
    const calls: string[] = []
    const make = (name: string, handles: boolean) =>
      defineSkill({
        name,
        description: name,
        config: z.strictObject({}),
        onFriendship(ctx) {
          calls.push(`${name}:${ctx.hello}:${ctx.contact.id}:${ctx.group.name === '' ? 'brand' : ctx.group.name}`)
          return handles
        },
      })
    // enabled in no group: brand-wide handlers run all the same
    const h = await harness(`groups:\n  - name: g\n    match: { topic: "*" }\n`, { skills: [make('a', false), make('b', true), make('c', true)] })
    await h.friendRequest(h.member('Zed'), 'hello')
    expect(calls).toEqual(['a:hello:wxid_zed:brand', 'b:hello:wxid_zed:brand'])
  })

  it('the registry leaves the first slot to guard and the last two to checkin, then autoreply', () => {
    const names = SKILLS.map((s) => s.name)
    expect(names[0]).toBe('guard')
    // activity points (checkin.activity) count only what no trigger skill took; answers come last
    expect(names.slice(-2)).toEqual(['checkin', 'autoreply'])
    expect(names.indexOf('gate')).toBeLessThan(names.indexOf('autoreply'))
  })
})

describe('ActionGovernor', () => {
  it('one at a time, a 2–6 s gap, never more than 6 in any minute', async () => {
    const clock = new FakeClock()
    let r = 0
    const g = new ActionGovernor({ clock, limits: { roomPerMinute: 20, totalPerMinute: 60 }, random: () => [0, 1, 0.5][r++ % 3]! })
    const done: number[] = []
    const t0 = clock.now()
    const all = Array.from({ length: 10 }, (_, i) => g.run('invite', async () => void done.push(clock.now() - t0)).then(() => i))
    await clock.advance(3 * 60_000)
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (let i = 1; i < done.length; i++) expect(done[i]! - done[i - 1]!).toBeGreaterThanOrEqual(2000)
    for (const t of done) expect(done.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(6)
    expect(done[6]).toBe(60_000) // the 7th waits for the first to leave the window
  })

  it('a reload’s new limits keep the last minute’s actions: 6 removals, a reload, 6 more — never more than 6 in any minute', async () => {
    const clock = new FakeClock()
    const g = new ActionGovernor({ clock, limits: { roomPerMinute: 20, totalPerMinute: 60 }, gapMs: [2000, 2000] })
    const at: number[] = []
    const remove = () => g.run('remove', async () => void at.push(clock.now()))
    const first = Array.from({ length: 6 }, remove)
    await clock.advance(15_000)
    await Promise.all(first)
    expect(at).toHaveLength(6)
    // #reload with bot.rateLimit at 25 a minute: the action ceiling stays 6 a minute
    g.setLimits({ roomPerMinute: 25, totalPerMinute: 25 })
    const more = Array.from({ length: 6 }, remove)
    await clock.advance(3 * 60_000)
    await Promise.all(more)
    expect(at).toHaveLength(12)
    for (const t of at) expect(at.filter((u) => u > t - 60_000 && u <= t).length).toBeLessThanOrEqual(6)
    // the 7th waits for the first to leave the window, not a moment longer
    expect(at[6]! - at[0]!).toBe(60_000)
  })

  it('a failing action rejects alone; the next still runs', async () => {
    const clock = new FakeClock()
    const g = new ActionGovernor({ clock, limits: false })
    const a = g.run('add', () => Promise.reject(new Error('not owner')))
    const b = g.run('add', async () => 'ok')
    await expect(a).rejects.toThrow('not owner')
    await expect(b).resolves.toBe('ok')
    expect(g.stats).toEqual({ done: 1, failed: 1 })
  })

  it('the text limit is the ceiling when it is lower than 6 a minute', async () => {
    const clock = new FakeClock()
    const g = new ActionGovernor({ clock, limits: { roomPerMinute: 2, totalPerMinute: 2 }, gapMs: [0, 0] })
    const at: number[] = []
    for (let i = 0; i < 3; i++) void g.run('accept', async () => void at.push(clock.now()))
    await clock.advance(61_000)
    expect(at.map((t) => t - at[0]!)).toEqual([0, 0, 60_000])
  })
})
