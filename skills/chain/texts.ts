import type { GroupContext } from '../../src/engine/Skill.js'
import type { Segment } from '../../src/text/Outgoing.js'
import type { ZonedTime } from '../../src/time/ZonedTime.js'
import type { Chain, Placed } from './ChainBook.js'
import type { ChainConfig } from './config.js'

/** `（限 20 人 · 截止 11月26日 20:00）`, or '' for a chain with neither. */
export function details(c: Chain, time: ZonedTime): string {
  const parts = [c.limit !== undefined ? `限 ${c.limit} 人` : '', c.deadline !== undefined ? `截止 ${time.format(c.deadline)}` : ''].filter(Boolean)
  return parts.length > 0 ? `（${parts.join(' · ')}）` : ''
}

function line(e: Placed): string {
  return `${e.place}. ${e.name}${e.note ? ` ${e.note}` : ''}`
}

/**
 * The list as the room sees it: a heading, one numbered line per joiner, the waitlist, a
 * count. `heading` replaces the first line (the final list's `closedText`).
 */
export function listText(ctx: GroupContext<ChainConfig>, c: Chain, entries: readonly Placed[], heading?: Segment[]): Segment[] {
  const on = entries.filter((e) => !e.waiting)
  const waiting = entries.filter((e) => e.waiting)
  const out: Segment[] = heading ? [...heading] : [`【接龙】${c.title}${details(c, ctx.time)}${c.status === 'closed' ? '（已结束）' : ''}`]
  if (on.length === 0) out.push('\n还没有人参加')
  for (const e of on) out.push('\n' + line(e))
  if (waiting.length > 0) {
    out.push('\n候补：')
    for (const e of waiting) out.push('\n' + line(e))
  }
  out.push(`\n共 ${on.length}${c.limit !== undefined ? `/${c.limit}` : ''} 人${waiting.length > 0 ? ` · 候补 ${waiting.length} 人` : ''}`)
  return out
}

/** `张三、李四、王五`, or the first 30 and `等 N 人`. */
export function nameList(names: readonly string[]): string {
  const shown = names.slice(0, 30).join('、')
  return names.length > 30 ? `${shown} 等 ${names.length} 人` : shown
}
