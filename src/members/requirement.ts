import { z } from 'zod'

/**
 * `require:` — the one predicate gate, the shop (and guard's `exempt`) share (CONTRACT §4,
 * §5, §7): all listed conditions must hold.
 */
export const Requirement = z
  .strictObject({
    points: z
      .strictObject({
        pool: z.string().min(1).optional().describe("the pool to count (default: the group's checkin pool)"),
        min: z.number().int().min(0).describe('at least this many points'),
      })
      .optional(),
    tags: z.array(z.string().min(1)).optional().describe('every one of these tags'),
  })
  .describe('all must hold: points in a pool, tags')

export type Requirement = z.output<typeof Requirement>

/** What the predicate needs to know about one member. */
export interface MemberFacts {
  /** Points of the member in `pool`. */
  points(pool: string): number
  tags: ReadonlySet<string>
}

export interface RequirementResult {
  ok: boolean
  /** Set when points are short: how many are needed and how many the member has. */
  points?: { pool: string; need: number; have: number; missing: number }
  /** Tags required and not held. */
  tags: string[]
}

/** Evaluate `req` for a member; `defaultPool` is the group's pool when `req.points.pool` is absent. */
export function checkRequirement(req: Requirement | undefined, member: MemberFacts, defaultPool: string): RequirementResult {
  const out: RequirementResult = { ok: true, tags: [] }
  if (!req) return out
  if (req.points) {
    const pool = req.points.pool ?? defaultPool
    const have = member.points(pool)
    if (have < req.points.min) out.points = { pool, need: req.points.min, have, missing: req.points.min - have }
  }
  for (const t of req.tags ?? []) if (!member.tags.has(t)) out.tags.push(t)
  out.ok = !out.points && out.tags.length === 0
  return out
}
