import type { TagRule } from '../../src/config/brandSchema.js'
import type { PointsChange } from '../../src/engine/Skill.js'
import type { TagSource } from '../../src/members/TagBook.js'

/**
 * The rule tags (`bot.tags`) a change of points earns: each rule whose `when` holds for the
 * member's new row in that pool. `pool` absent = any pool. A rule with a streak is a
 * `streak` tag, one with points only a `points` tag.
 */
export function earnedTags(rules: readonly TagRule[], change: PointsChange): Array<{ tag: string; source: TagSource }> {
  const out: Array<{ tag: string; source: TagSource }> = []
  for (const r of rules) {
    const w = r.when
    if (w.pool !== undefined && w.pool !== change.pool) continue
    if (w.streak !== undefined && change.row.streak < w.streak) continue
    if (w.points !== undefined && change.row.total < w.points) continue
    out.push({ tag: r.tag, source: w.streak !== undefined ? 'streak' : 'points' })
  }
  return out
}
