import { describe, expect, it } from 'vitest'
import { harness, type Harness } from '../../helpers/harness.js'
import type { RoomRef } from '../../../src/engine/Skill.js'

/*
 * A catastrophic-backtracking regex in the config meeting texts crafted for it, in one room,
 * while another room checks in. The cost is compared with the same traffic made of harmless
 * texts of the same length, in the same run, alternating (no absolute timing; CPU time, not
 * wall time, so other programs on the machine do not count): on a linear-time engine the two
 * are alike; on a backtracking engine a 20-character crafted text alone takes ~0.1 s (and
 * 4,000 characters would never finish), so a short probe runs first and fails the test
 * instead of hanging it.
 */
const yaml = `bot: { admins: [wxid_boss] }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      autoreply:
        rules:
          - regex: "(a+)+$"
            reply: "全是 a"
`

const PAIRS = 20

/**
 * One round: PAIRS texts into the attacked room, each with a check-in in the other room,
 * handled concurrently as the runtime hands them over (rooms in parallel), then everything
 * sent. Returns the CPU time the round took (ms): the time the event loop was busy, which is
 * what delays the other room's answers — and, unlike wall time, not inflated by the other
 * programs sharing the machine.
 */
async function round(h: Harness, attacked: RoomRef, other: RoomRef, text: string, tag: string): Promise<number> {
  const c0 = process.cpuUsage()
  const said = (room: RoomRef, id: string, t: string) =>
    h.engine.handleMessage({ room, talker: { id, name: id }, message: { id: `${id}-${t.length}`, text: t, textWithoutMentions: t, mentionsBot: false, mentionIds: [], date: h.clock.now() } })
  await Promise.all(Array.from({ length: PAIRS }, (_, i) => Promise.all([said(attacked, `x${tag}-${i}`, text), said(other, `m${tag}-${i}`, '签到')])))
  await h.flush()
  const c = process.cpuUsage(c0)
  return (c.user + c.system) / 1000
}

describe('no regex can freeze the bot', () => {
  it('crafted texts for (a+)+$ in one room do not slow down check-ins in another room', async () => {
    const h = await harness(yaml)
    const attacked = h.room('粉丝1群')
    const other = h.room('粉丝2群')
    await round(h, attacked, other, 'warm up', 'w') // JIT, first store writes
    await round(h, attacked, other, 'b'.repeat(100) + '!', 'w2')

    /** Alternating rounds of harmless and crafted texts; the best of each (noise only adds). */
    let tag = 0
    const compare = async (benign: string, crafted: string) => {
      const times = { benign: [] as number[], crafted: [] as number[] }
      for (let r = 0; r < 3; r++) {
        times.benign.push(await round(h, attacked, other, benign, `b${tag++}`))
        times.crafted.push(await round(h, attacked, other, crafted, `c${tag++}`))
      }
      return { benign: Math.min(...times.benign), crafted: Math.min(...times.crafted) }
    }

    // a probe a backtracking engine takes ~0.1 s per text on (seconds per round): it fails here, it does not hang
    const probe = await compare('b'.repeat(20) + '!', 'a'.repeat(20) + '!')
    expect(probe.crafted).toBeLessThan(Math.max(probe.benign, 1) * 10)

    // the attack the issue names: 4,000-character texts (the longest a skill reads)
    const attack = await compare('b'.repeat(3999) + '!', 'a'.repeat(3999) + '!')
    // generous: on a shared 2-core machine single rounds wobble; a backtracking engine is ~∞×
    expect(attack.crafted).toBeLessThan(attack.benign * 4)

    // every check-in of the other room was confirmed; the crafted texts got no answer (no match)
    await h.clock.advance(60_000) // the last confirmations, gathered into one text
    await h.flush()
    const confirmations = h.texts(other.id).join('\n').match(/签到成功/g) ?? [] // checkin merges a burst into one text
    expect(confirmations).toHaveLength(PAIRS * 14)
    expect(h.texts(attacked.id)).toEqual([])
    // and the rule itself still answers what it matches
    await h.say(attacked, h.member('Ann'), '哈哈aaa')
    expect(h.texts(attacked.id)).toEqual(['全是 a'])
  })
})
