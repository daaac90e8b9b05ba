import { DateTime } from 'luxon'
import type { Engine } from '../../engine/Engine.js'
import { HandoffInbox } from '../../inbox/HandoffInbox.js'
import type { Store } from '../../store/Store.js'
import { unsegment } from '../../store/Store.js'
import { dayCounts, dayKeyOf, type MemberEvent } from '../../members/MemberRecord.js'
import type { LedgerEntry } from '../../members/PointsBook.js'

/** One line of a member's timeline. */
export interface TimelineEntry {
  at: number
  kind: string
  /** The group it happened in (absent: brand-wide, a tag). */
  group?: string
  /** For people, Chinese first. */
  detail: string
}

const LEDGER_WORDS: Record<string, string> = { checkin: '签到', streakBonus: '连续签到奖励', adjust: '积分调整', redeem: '兑换扣分', refund: '退款返还' }

/**
 * A member's timeline, newest first — COMPOSED when asked, from the records that exist anyway:
 * the member record's own events (joins, leaves, names, tags taken away) and messages per day,
 * the points ledgers of every pool (check-ins, adjustments, redemptions, refunds), the tags
 * as the TagBook has them, the hand-off inbox, and each enabled skill's `memberTimeline`
 * (the shop's orders, guard's strikes). Nothing is copied into a second record that could
 * disagree with these; whatever the retention rule or a forget removes from them is gone
 * from the timeline too.
 */
export function composeTimeline(engine: Engine, store: Store, contactId: string): TimelineEntry[] {
  const out: TimelineEntry[] = []
  const row = engine.members.get(contactId)
  const zone = engine.time.zone
  const topic = (roomId: string | undefined): string => (roomId ? (engine.rooms.get(roomId)?.topic ?? roomId) : '')
  for (const e of row?.events ?? []) out.push(...fromEvent(e, topic))
  const now = engine.deps.clock.now()
  for (const a of row?.activity ?? []) {
    for (const [day, n] of dayCounts(a.days)) {
      // a day's count heads that day: at its end (today: now)
      const end = DateTime.fromISO(dayKeyOf(day), { zone }).plus({ days: 1 }).toMillis() - 1000
      out.push({ at: Math.min(end, now), kind: 'messages', group: a.group, detail: `发言 ${n} 条 (${n} messages)` })
    }
  }
  for (const [tag, mark] of Object.entries(engine.tags.of(contactId))) {
    out.push({ at: mark.at, kind: 'tag', detail: `获得标签「${tag}」（${mark.source}${mark.by ? `，${mark.by}` : ''}）` })
  }
  // every pool's ledger: one scan of the ledgers, no keys built
  store.each('checkin/', (dir, _leaf, value) => {
    if (!/^checkin\/pool:[^/]+\/ledger\//.test(dir)) return
    const e = value as unknown as LedgerEntry
    if (e.member !== contactId) return
    const pool = unsegment(dir.slice('checkin/pool:'.length, dir.indexOf('/ledger/')))
    const word = LEDGER_WORDS[e.reason] ?? e.reason
    out.push({ at: e.at, kind: e.reason === 'checkin' ? 'checkin' : 'points', group: e.group, detail: `${word} ${e.delta > 0 ? '+' : ''}${e.delta}（积分池 ${pool}）${e.note ? ` ${e.note}` : ''}` })
  })
  for (const h of HandoffInbox.of(store).list()) {
    if (h.memberId !== contactId) continue
    out.push({ at: h.at, kind: 'handoff', group: h.group, detail: `转人工：${h.reasonText ?? h.reason}（${h.status === 'open' ? '待处理' : '已处理'}）` })
  }
  for (const { skill, group, ctx } of engine.enabledWith('memberTimeline')) {
    try {
      for (const m of skill.memberTimeline!(ctx, contactId)) out.push({ ...m, group })
    } catch (err) {
      engine.log.error({ err, skill: skill.name, group }, 'skill failed to tell a member’s timeline; left out')
    }
  }
  // newest first; at the same instant a day's count heads that day, then the later written first
  const rank = (e: TimelineEntry): number => (e.kind === 'messages' ? 1 : 0)
  return out
    .map((e, i) => [e, i] as const)
    .sort((a, b) => b[0].at - a[0].at || rank(b[0]) - rank(a[0]) || b[1] - a[1])
    .map(([e]) => e)
}

function fromEvent(e: MemberEvent, topic: (roomId: string | undefined) => string): TimelineEntry[] {
  const where = topic(e.room)
  const found = e.found ? `（未收到入退群通知，核对群成员时发现${e.from !== undefined ? '，发生在上次核对之后' : ''}）` : ''
  switch (e.kind) {
    case 'join': {
      const how = e.via ? `，通过关键词「${e.via}」` : e.by ? `，由 ${e.by} 邀请` : ''
      return [{ at: e.at, kind: 'join', group: e.group, detail: `加入 ${where}${how}${found}` }]
    }
    case 'leave': {
      const after = e.after ? `（${Math.round((e.at - e.after.at) / 60_000)} 分钟前机器人发过${e.after.text ? `「${e.after.text}」` : ` ${e.after.skill} 消息`}）` : ''
      return [{ at: e.at, kind: 'leave', group: e.group, detail: `退出 ${where}${e.by ? `，被 ${e.by} 移出` : ''}${found}${after}` }]
    }
    case 'present':
      return [{ at: e.at, kind: 'present', group: e.group, detail: `首次核对群成员时已在 ${where} 中` }]
    case 'name':
      return [{ at: e.at, kind: 'name', detail: `新名字：${e.name ?? ''}` }]
    case 'untag':
      return [
        ...(e.since !== undefined ? [{ at: e.since, kind: 'tag', detail: `获得标签「${e.tag}」（${e.source ?? ''}）` }] : []),
        { at: e.at, kind: 'untag', detail: `移除标签「${e.tag}」` },
      ]
    default:
      return []
  }
}
