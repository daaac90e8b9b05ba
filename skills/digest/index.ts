import { DateTime } from 'luxon'
import { defineSkill, type GroupContext } from '../../src/engine/Skill.js'
import { HandoffInbox, type Handoff } from '../../src/inbox/HandoffInbox.js'
import { segment } from '../../src/store/Store.js'
import { clip, splitSegments } from '../../src/text/Outgoing.js'
import { humanDurationZh } from '../../src/time/duration.js'
import { DigestConfig } from './config.js'
import { HeldTexts, type HeldText } from './HeldTexts.js'
import { isQuestion } from './questions.js'
import { summarise, type SummaryResult } from './summary.js'
import { loadCounter } from './tokens.js'

/**
 * digest — 每日摘要 (CONTRACT §12), opt-in per group: every day at `at` each admin gets, in a
 * private message, the questions members asked, the hand-offs still open, and (with `ai`
 * configured and `summary` on) a model-written summary of the day's topics within
 * `tokenBudget` (summary.ts). It reads every message that got past guard (it sits right after
 * guard in skills/index.ts and never ends the chain). Each room is told once that its
 * messages are summarised for the staff.
 *
 * What it keeps: with a summary, the texts of 5+ characters and every question; without, the
 * questions only — each with the member's id and name, in 10-minute buckets that are deleted
 * before they are 24 hours old (a durable job), and as soon as the digest covered them. Plus a
 * message count per bucket (no text).
 */
type Ctx = GroupContext<DigestConfig>

/** Shorter texts (签到, +1, 接龙…) are left out of the summary; a question of any length is kept. */
export const MIN_SUMMARY_CHARS = 5
/** A digest whose time passed while the bot was down is still sent this late. */
export const DIGEST_MAX_LATE_MS = 3 * 3_600_000

const DAILY = 'daily'
const SWEEP = 'sweep'
const ANNOUNCE = 'announce'

export const DigestSkill = defineSkill<DigestConfig>({
  name: 'digest',
  description: "the day's questions, open hand-offs and a model summary, privately to the admins (每日摘要)",
  config: DigestConfig,

  summary(c) {
    return [`每日摘要 ${c.at} → admins privately; questions (≤${c.questionsMax}), open hand-offs${c.summary ? `, model summary ≤${c.tokenBudget} tokens when ai is set` : ''}`]
  },

  onStart(ctx) {
    planDaily(ctx)
    // the rooms are known once logged in: the job runs then and tells each room once
    ctx.jobs.plan(ANNOUNCE, ctx.clock.now(), null, { maxLateMs: Number.MAX_SAFE_INTEGER })
  },

  onMessage(ctx) {
    const m = ctx.message
    const now = ctx.clock.now()
    const held = new HeldTexts(ctx.store)
    if (!ctx.store.get<number>(announcedKey(ctx.room.id))) announce(ctx, ctx.room.id)
    held.countMessage(now)
    const q = isQuestion(m.text, m.mentionsBot)
    const text = m.mentionsBot ? m.textWithoutMentions : m.text
    const summarising = ctx.config.summary && ctx.ai?.complete !== undefined
    // minimal: without a summary only questions are kept; commands and chit-chat never
    const keep = q || (summarising && [...text].length >= MIN_SUMMARY_CHARS && !text.startsWith(ctx.bot.commandPrefix))
    if (keep) {
      held.hold(m.id, { at: now, room: ctx.room.id, member: ctx.talker.id, name: ctx.talker.name, text: clip(text, 500), q })
      if (ctx.jobs.get(SWEEP)?.state !== 'planned') planSweep(ctx)
    }
    return false
  },

  async onJob(ctx) {
    if (ctx.job.id === ANNOUNCE) {
      for (const r of ctx.rooms()) if (!ctx.store.get<number>(announcedKey(r.id))) announce(ctx, r.id)
      return
    }
    if (ctx.job.id === SWEEP) {
      planSweep(ctx)
      return
    }
    if (ctx.job.id === DAILY) {
      // the next one first: a digest that fails does not stop tomorrow's
      planDaily(ctx)
      await sendDigest(ctx)
    }
  },

  sweep(ctx) {
    planSweep(ctx)
  },

  // §11: the texts held for today's digest are the only member data it keeps
  forgetMember: (ctx, contactId) => new HeldTexts(ctx.store).forget(contactId),
  exportMember: (ctx, contactId) => new HeldTexts(ctx.store).of(contactId).map((t) => ({ at: t.at, room: t.room, text: t.text, question: t.q })),
})

const announcedKey = (roomId: string): string => `announced/${segment(roomId)}`

/** Each room is told once (ever, while the data dir lives) that its messages are summarised for the staff. */
function announce(ctx: Ctx, roomId: string): void {
  ctx.store.set(announcedKey(roomId), ctx.clock.now())
  ctx.log.info({ room: roomId }, 'digest announced in the room')
  void ctx.sayIn(roomId, ctx.render(ctx.config.announceText, {}), { kind: 'scheduled' })
}

/** The next `at` in bot.timezone after now. */
export function nextAt(now: number, at: string, zone: string): number {
  const [h, m] = at.split(':').map(Number) as [number, number]
  const today = DateTime.fromMillis(now, { zone }).set({ hour: h, minute: m, second: 0, millisecond: 0 })
  return (today.toMillis() > now ? today : today.plus({ days: 1 }).set({ hour: h, minute: m })).toMillis()
}

function planDaily(ctx: Ctx): void {
  const now = ctx.clock.now()
  const at = nextAt(now, ctx.config.at, ctx.time.zone)
  const job = ctx.jobs.get(DAILY)
  // one that fell due while the bot was down is left to run when still within its bound; else (and when `at` changed) the next
  if (job?.state === 'planned' && (job.at === at || (job.at <= now && now - job.at <= DIGEST_MAX_LATE_MS))) return
  ctx.jobs.plan(DAILY, at, null, { maxLateMs: DIGEST_MAX_LATE_MS })
}

/** Delete what is due and set the alarm for the next bucket that comes due. */
function planSweep(ctx: Ctx): void {
  const next = new HeldTexts(ctx.store).sweep(ctx.clock.now())
  if (next === undefined) ctx.jobs.forget(SWEEP)
  // very late after downtime is fine: onStart's sweep deletes on start anyway
  else ctx.jobs.plan(SWEEP, next, null, { maxLateMs: Number.MAX_SAFE_INTEGER })
}

async function sendDigest(ctx: Ctx): Promise<void> {
  const now = ctx.clock.now()
  const held = new HeldTexts(ctx.store)
  const texts = held.before(now)
  const messages = held.messagesBefore(now)
  const handoffs = HandoffInbox.of(ctx.store.store)
    .list('open')
    .filter((h) => h.group === ctx.group.name)
    .reverse()
  // what the digest covers is no longer kept, from this turn on (read and deleted together; the
  // model works on this copy, so a crash meanwhile loses the day's digest rather than sending it twice)
  held.dropBefore(now)
  const summary = await modelSummary(ctx, texts)
  const text = compose(ctx, now, messages, texts, handoffs, summary)
  if (ctx.bot.admins.length === 0) {
    ctx.log.warn('digest ready but bot.admins is empty: nobody to send it to')
    return
  }
  ctx.log.info({ questions: texts.filter((t) => t.q).length, handoffs: handoffs.length, summary: summary ? { calls: summary.calls, tokens: summary.spent, read: summary.read, of: summary.total } : null }, 'digest sent to the admins')
  // privately, never into a room; a digest is scheduled: never dropped in a rush, sent at most once
  for (const admin of ctx.bot.admins) for (const part of splitSegments([text])) void ctx.sayIn(admin, part, { kind: 'scheduled', mergeable: false, because: 'list' })
}

async function modelSummary(ctx: Ctx, texts: readonly HeldText[]): Promise<SummaryResult | undefined> {
  const ai = ctx.ai
  if (!ctx.config.summary || !ai?.complete || texts.length === 0) return undefined
  const lines = texts.filter((t) => [...t.text].length >= MIN_SUMMARY_CHARS || t.q).map((t) => `${hhmm(t.at, ctx.time.zone)} ${t.name}：${t.text.replace(/\s+/gu, ' ')}`)
  try {
    const count = await loadCounter()
    return await summarise({
      lines,
      budget: ctx.config.tokenBudget,
      replyTokens: ctx.config.replyTokens,
      chunkTokens: ctx.config.chunkTokens,
      count,
      complete: (task) => ai.complete!(task),
      timeoutMs: Math.max(ai.timeoutMs ?? 20_000, 30_000),
      userId: `digest:${ctx.group.name}`,
    })
  } catch (err) {
    ctx.log.warn({ err }, 'the digest summary failed; the digest goes out without it')
    return undefined
  }
}

function hhmm(at: number, zone: string): string {
  return DateTime.fromMillis(at, { zone }).toFormat('HH:mm')
}

function compose(ctx: Ctx, now: number, messages: number, texts: readonly HeldText[], handoffs: readonly Handoff[], summary: SummaryResult | undefined): string {
  const zone = ctx.time.zone
  const rooms = new Map(ctx.rooms().map((r) => [r.id, r.topic]))
  const day = DateTime.fromMillis(now, { zone }).toFormat("M'月'd'日'")
  const out: string[] = [`【每日摘要】${ctx.group.name} · ${day}`, `消息 ${messages} 条`]
  const questions = texts.filter((t) => t.q)
  const shown = questions.slice(-ctx.config.questionsMax)
  out.push('', `成员提问（${questions.length}）：`)
  if (questions.length === 0) out.push('无')
  if (questions.length > shown.length) out.push(`（只列最近 ${shown.length} 条）`)
  shown.forEach((t, i) => out.push(`${i + 1}. ${hhmm(t.at, zone)} ${t.name}${rooms.size > 1 ? `@${rooms.get(t.room) ?? t.room}` : ''}：${clip(t.text, 100)}`))
  out.push('', `转人工未处理（${handoffs.length}）：`)
  if (handoffs.length === 0) out.push('无')
  for (const h of handoffs.slice(0, 20)) out.push(`${h.id} · ${humanDurationZh(now - h.at)}前 · ${h.memberName}@${h.roomTopic}：${clip(h.text, 80)}`)
  if (handoffs.length > 20) out.push(`……还有 ${handoffs.length - 20} 条，见控制台的转人工收件箱`)
  if (summary) {
    const partial = summary.read < summary.total ? `，读了 ${summary.total} 条中的 ${summary.read} 条（token 预算 ${ctx.config.tokenBudget}）` : ''
    out.push('', `今日话题（AI 摘要${partial}）：`, clip(summary.text, 1500))
  }
  return out.join('\n')
}

