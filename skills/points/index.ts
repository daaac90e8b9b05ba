import { z } from 'zod'
import { defineSkill, type CommandContext } from '../../src/engine/Skill.js'
import { adjustPoints } from './adjust.js'

/** The largest single correction: a typo of a few zeros should not make anyone rich. */
const MAX_ADJUST = 1_000_000

export const PointsConfig = z.strictObject({
  pool: z.string().min(1, 'pool cannot be empty').optional().describe("the pool #points changes (default: the group's checkin pool)"),
})
export type PointsConfig = z.output<typeof PointsConfig>

type Ctx = CommandContext<PointsConfig>

/**
 * points — admins correct members' points: `#points add|sub @member <n> [reason]` (several @
 * at once allowed). A ledger entry of reason `adjust` per member, its note naming the admin;
 * never below zero (a `sub` larger than a balance is refused for everyone named, nothing is
 * written); an audit line per change. A skill of its own so it works in a group without a
 * shop; it has no member triggers.
 */
export const PointsSkill = defineSkill<PointsConfig>({
  name: 'points',
  description: 'admin point corrections: #points add|sub @member <n> [reason]',
  config: PointsConfig,
  summary: (config) => (config.pool ? [`#points changes pool ${config.pool}`] : []),
  commands: {
    points: {
      usage: 'points add|sub @成员 <分数> [原因]',
      run: (ctx) => run(ctx),
    },
  },
})

async function run(ctx: Ctx): Promise<void> {
  const [sub = '', ...words] = ctx.args
  const sign = sub.toLowerCase() === 'add' ? 1 : sub.toLowerCase() === 'sub' ? -1 : 0
  if (sign === 0) return ctx.usage(sub ? `没有「${sub}」这个子命令（add 加分，sub 扣分）` : undefined)
  const at = words.findIndex((w) => /^\d+$/.test(w))
  if (at < 0) return ctx.usage('写上分数，例如 #points add @小美 50 活动奖励')
  const n = Number(words[at])
  if (n <= 0 || n > MAX_ADJUST) return ctx.usage(`分数要在 1 到 ${MAX_ADJUST} 之间`)
  const who = words.slice(0, at)
  const reason = words.slice(at + 1).join(' ').trim() || undefined
  // members by their @ (contact ids the message carries); without one, contact ids typed out
  // each member once, however often typed or @-ed: `sub wxid_a wxid_a 60` is one change of 60,
  // so the balance check below covers every change made (all or nothing)
  const mentioned = ctx.message.mentionIds
  const targets = [...new Set(mentioned.length > 0 ? mentioned : who.filter((w) => !w.startsWith('@')))]
  if (targets.length === 0) return ctx.usage(who.length > 0 ? '没认出 @ 的是谁：请在群里 @ 成员（或写联系人 id）' : '要给谁？@ 一位成员')
  // one mention: its @text is the member's name as shown in this room (kept for a new row)
  const typed = mentioned.length === 1 && who.length > 0 ? who.join(' ').replace(/^@/, '').trim() || undefined : undefined
  const nameOf = (id: string): string | undefined => (targets.length === 1 && targets[0] === id ? typed : undefined)

  const pool = ctx.config.pool ?? ctx.pointsPool
  const book = ctx.points(pool)
  const label = (id: string): string => book.get(id)?.name ?? nameOf(id) ?? id
  // all or nothing: a sub that would take anyone below zero changes nobody
  if (sign < 0) {
    const short = targets.filter((id) => (book.get(id)?.total ?? 0) < n)
    if (short.length > 0) {
      const lines = short.map((id) => `${label(id)} 只有 ${book.get(id)?.total ?? 0} 分`)
      // nothing changed: informational (the same refusal asked again while it waits is one reply)
      await ctx.say(`不能扣 ${n} 分，积分不能为负：${lines.join('，')}（未做任何修改）`, {
        kind: 'info',
        coalesce: { key: `points:refused:${ctx.talker.id}:${n}:${short.join(',')}` },
      })
      return
    }
  }
  const now = ctx.clock.now()
  const day = ctx.time.dayKey(now)
  const done: string[] = []
  for (const id of targets) {
    const r = adjustPoints(book, { member: id, delta: sign * n, by: ctx.talker.id, reason, now, day, group: ctx.group.name, room: ctx.room.id, name: book.get(id) ? undefined : nameOf(id) })
    if (!r.ok) throw new Error('checked above') // unreachable: balances were checked in this same turn
    ctx.log.info({ audit: true, member: id, pool, delta: sign * n, total: r.row.total, by: ctx.talker.id, ...(reason ? { reason } : {}) }, 'points adjusted')
    done.push(`${label(id)} ${sign > 0 ? '+' : '-'}${n}，现有 ${r.row.total} 分`)
  }
  await ctx.say(`积分池 ${pool}：${done.join('；')}${reason ? `（${reason}）` : ''}`, { kind: 'owed' })
}
