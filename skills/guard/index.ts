import { defineSkill, type MessageContext } from '../../src/engine/Skill.js'
import { humanDurationZh } from '../../src/time/duration.js'
import { guardCommand } from './commands.js'
import { removalsSection } from './console.js'
import { GuardConfig, RULE_NAMES, type RuleName } from './config.js'
import { contentViolation, evidenceOf, messageType, Windows } from './detect.js'
import { bookOf, planRemoval, resumeRemovals, runRemoval, type GuardCtx, type GuardMemory } from './removal.js'

type Ctx = MessageContext<GuardConfig, GuardMemory>

const DAY = 24 * 3600_000

/**
 * guard — 防骚扰 (CONTRACT §6): links, mini-program and name cards, words, regexes, floods
 * and repeats earn a strike; a strike warns in the room (owed texts: merged in a flood, never
 * dropped); the Nth within `window` removes the member through `room.remove`, at most
 * `removalsPerHour`, paced by the governor; a removed member is blacklisted and removed again
 * when they come back. Admins and exempt members (tags, ids) may post anything. guard is a
 * screen: it sees every message (every kind) before admin commands and every other skill, so
 * a message that earns a strike gets no other answer. See skills/guard/README.md.
 */
export const GuardSkill = defineSkill<GuardConfig, GuardMemory>({
  name: 'guard',
  description: 'keeps the group clean: links, cards, words, floods and repeats earn strikes; the Nth removes (防骚扰)',
  config: GuardConfig,
  memory: () => ({ windows: new Windows(), running: new Set() }),
  kinds: ['text', 'url', 'miniProgram', 'contact', 'groupNote', 'other'],
  screen: true,

  summary(c) {
    const b = c.block
    const on = [
      b.links && '链接',
      b.miniPrograms && '小程序',
      b.contactCards && '名片',
      b.words.length > 0 && `${b.words.length} 个词`,
      b.regex.length > 0 && `${b.regex.length} 个正则`,
      b.flood && `刷屏 >${b.flood.messages}/${b.flood.seconds}s`,
      b.repeat && `重复 ${b.repeat.times}次/${b.repeat.minutes}min`,
    ].filter(Boolean)
    return [`防骚扰: ${on.join('、') || '（什么都不拦）'}; ${c.strikes} 次移出 (${humanDurationZh(c.window)}内), ≤${c.removalsPerHour}/h${c.blacklist ? ', 黑名单' : ''}`]
  },

  onStart(ctx) {
    resumeRemovals(ctx)
    // old strikes are dropped when their member strikes again, and once a day for everyone
    const sweep = ctx.jobs.get('sweep')
    if (sweep?.state !== 'planned') ctx.jobs.plan('sweep', ctx.clock.now() + DAY, null, { maxLateMs: DAY })
  },

  async onJob(ctx) {
    if (ctx.job.id.startsWith('remove:')) return runRemoval(ctx)
    if (ctx.job.id === 'sweep') {
      const dropped = bookOf(ctx).sweep(ctx.clock.now(), ctx.config.window)
      ctx.log.debug({ dropped }, 'old strikes swept')
      ctx.jobs.plan('sweep', ctx.clock.now() + DAY, null, { maxLateMs: DAY })
    }
  },

  onMessage(ctx) {
    const who = ctx.talker
    if (isExempt(ctx, who.id)) return false
    const book = bookOf(ctx)
    // a removal puts the member on the blacklist first (when on): one store read for most messages
    const banned = book.blacklisted(who.id)
    // on the way out of this room: nothing they post is answered, nothing more is counted
    if ((banned || !ctx.config.blacklist) && book.removing(who.id, ctx.room.id)) return true
    const m = ctx.message
    if (ctx.config.blacklist && banned) {
      planRemoval(ctx, who, ctx.room, { rule: 'blacklist', strikes: 0, evidence: evidenceOf(m), type: messageType(m) })
      return true
    }
    const now = ctx.clock.now()
    // a command or another skill's trigger (签到, 兑换 sample, #help) said again is no repeat
    const request = ctx.config.block.repeat && (m.kind ?? 'text') === 'text' && ctx.takenBy(m.text) !== undefined
    const windowed = ctx.memory.windows.note(ctx.config, who.id, m, now, { repeat: !request })
    const rule = contentViolation(ctx.config.block, m) ?? windowed?.rule
    if (!rule) return false
    const note =
      rule === 'flood' && ctx.config.block.flood
        ? `（${ctx.config.block.flood.seconds} 秒内 ${windowed!.count} 条）`
        : rule === 'repeat' && ctx.config.block.repeat
          ? `（${ctx.config.block.repeat.minutes} 分钟内第 ${windowed!.count} 次）`
          : ''
    strike(ctx, rule, evidenceOf(m, note), messageType(m))
    return true
  },

  onJoin(ctx) {
    if (!ctx.config.blacklist) return
    const book = bookOf(ctx)
    for (const m of ctx.members) {
      const banned = book.blacklisted(m.id)
      if (!banned || isExempt(ctx, m.id)) continue
      ctx.log.info({ contact: m.id, room: ctx.room.id, removedAt: banned.at }, 'a blacklisted member joined')
      planRemoval(ctx, m, ctx.room, { rule: 'blacklist', strikes: 0, evidence: `曾因${RULE_NAMES[banned.rule]}被移出「${banned.topic}」`, type: 'Join' })
    }
  },

  onLeave(ctx) {
    // left by themselves (or removed by a person) before the bot's turn: nothing to remove
    const book = bookOf(ctx)
    for (const m of ctx.members) if (book.clearRemoving(m.id, ctx.room.id)) ctx.log.info({ contact: m.id, room: ctx.room.id }, 'left before the removal; not removed')
  },

  commands: { guard: guardCommand },
  /** 移出记录 Removals in the console: the blacklist, recent strikes and removals, pardon (console.ts). */
  console: removalsSection,

  keepsOut(ctx, contactId) {
    // the blacklist is what keeps a removed member out (without it they may come back)
    if (!ctx.config.blacklist || isExempt(ctx, contactId)) return undefined
    const banned = bookOf(ctx).blacklisted(contactId)
    return banned ? `removed from ${banned.topic} for ${banned.rule}` : undefined
  },

  // the member's data rights (CONTRACT §11)
  forgetMember(ctx, contactId) {
    bookOf(ctx).forget(contactId)
  },

  exportMember(ctx, contactId) {
    const r = bookOf(ctx).recordsOf(contactId)
    return r.strikes || r.blacklisted || r.removing.length > 0 || r.history.length > 0 ? r : undefined
  },

  memberTimeline(ctx, contactId) {
    const words = { strike: '违规警告', removal: '被移出', 'removal failed': '移出失败', pardon: '被赦免' } as const
    return bookOf(ctx)
      .recordsOf(contactId)
      .history.map((r) => ({ at: r.at, kind: r.action === 'strike' ? 'strike' : r.action === 'pardon' ? 'pardon' : 'removal', detail: `${words[r.action]}${r.rule ? `（${r.rule}）` : ''}${r.strike ? ` 第 ${r.strike}/${r.of} 次` : ''}` }))
  },
})

/** Admins always; then `exempt.ids`, then any of `exempt.tags`. A gate invite exempts nobody. */
function isExempt(ctx: GuardCtx, contactId: string): boolean {
  const e = ctx.config.exempt
  if (ctx.bot.admins.includes(contactId) || e.ids.includes(contactId)) return true
  for (const t of e.tags) if (ctx.tags.has(contactId, t)) return true
  return false
}

/** A strike: durable and an audit line; the Nth within `window` removes, the others warn. */
function strike(ctx: Ctx, rule: RuleName, evidence: string, type: string): void {
  const c = ctx.config
  const who = ctx.talker
  const now = ctx.clock.now()
  const book = bookOf(ctx)
  const count = book.addStrike(who.id, who.name, { at: now, rule, roomId: ctx.room.id }, c.window)
  book.record({ at: now, action: 'strike', contactId: who.id, name: who.name, rule, roomId: ctx.room.id, topic: ctx.room.topic, strike: count, of: c.strikes, evidence, type })
  ctx.log.info({ audit: true, action: 'guard strike', contact: who.id, room: ctx.room.id, rule, strike: count, of: c.strikes, type }, 'guard strike')
  if (count >= c.strikes) {
    planRemoval(ctx, who, ctx.room, { rule, strikes: count, evidence, type })
    return
  }
  // owed: it confirms a stored strike; in a flood the queue merges neighbouring warnings
  void ctx.say(ctx.render(c.warnText, { name: who.name, rule: RULE_NAMES[rule], strikes: count, remaining: c.strikes - count }), { kind: 'owed' })
}
