import { performance } from 'node:perf_hooks'
import { describe, expect, it } from 'vitest'
import { harness, type Harness } from '../../helpers/harness.js'
import type { RoomRef } from '../../../src/engine/Skill.js'

/*
 * A catastrophic-backtracking regex in the config meeting texts crafted for it, in one room,
 * while another room checks in. The cost is compared with the same traffic made of harmless
 * texts of the same length, in the same run, alternating (no absolute timing): on a
 * linear-time engine the two are alike; on a backtracking engine a 24-character crafted text
 * alone takes ~0.4 s (and 4,000 characters would never finish), so the short probe round
 * runs first and fails the test instead of hanging it.
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

const PAIRS = 10

/** One round: PAIRS texts into the attacked room, each with a check-in in the other room. Wall ms. */
async function round(h: Harness, attacked: RoomRef, other: RoomRef, text: string, tag: string): Promise<number> {
  const t0 = performance.now()
  await Promise.all(
    Array.from({ length: PAIRS }, (_, i) =>
      Promise.all([h.say(attacked, h.member(`x${tag}${i}`), text), h.say(other, h.member(`m${tag}${i}`), '签到')]),
    ),
  )
  return performance.now() - t0
}

describe('no regex can freeze the bot', () => {
  it('crafted texts for (a+)+$ in one room do not slow down check-ins in another room', async () => {
    const h = await harness(yaml)
    const attacked = h.room('粉丝1群')
    const other = h.room('粉丝2群')
    await round(h, attacked, other, 'warm up', 'w') // JIT, first store writes

    // a probe a backtracking engine would take ~0.4 s per text on
    const probeBenign = await round(h, attacked, other, 'b'.repeat(23) + '!', 'p0')
    const probeCrafted = await round(h, attacked, other, 'a'.repeat(23) + '!', 'p1')
    expect(probeCrafted).toBeLessThan(Math.max(probeBenign, 1) * 10)

    // the attack the issue names: 4,000-character texts (the longest a skill reads)
    const benign = 'b'.repeat(3999) + '!'
    const crafted = 'a'.repeat(3999) + '!'
    const times = { benign: [] as number[], crafted: [] as number[] }
    for (let r = 0; r < 3; r++) {
      times.benign.push(await round(h, attacked, other, benign, `b${r}`))
      times.crafted.push(await round(h, attacked, other, crafted, `c${r}`))
    }
    const best = (xs: number[]): number => Math.min(...xs)
    // generous: on a shared 2-core machine single rounds wobble; a backtracking engine is ~∞×
    expect(best(times.crafted)).toBeLessThan(best(times.benign) * 4)

    // every check-in of the other room was confirmed; the crafted texts got no answer (no match)
    const confirmations = h.texts(other.id).join('\n').match(/签到成功/g) ?? [] // checkin merges a burst into one text
    expect(confirmations).toHaveLength(PAIRS * 9)
    expect(h.texts(attacked.id)).toEqual([])
    // and the rule itself still answers what it matches
    await h.say(attacked, h.member('Ann'), '哈哈aaa')
    expect(h.texts(attacked.id)).toEqual(['全是 a'])
  })
})
