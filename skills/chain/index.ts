import { defineSkill } from '../../src/engine/Skill.js'
import { ChainBook } from './ChainBook.js'
import { ChainConfig } from './config.js'
import { chainsSection } from './console/index.js'
import {
  RETAIN_CLOSED_MS,
  cancel,
  command,
  confirmJob,
  deadlineDue,
  deadlineJob,
  exportChainMember,
  forgetChainMember,
  joinOpen,
  sendConfirmation,
  showList,
  type PendingConfirmation,
} from './flow.js'
import { parseJoin, parseRepost } from './parse.js'

/**
 * chain — 接龙, sign-up chains (CONTRACT §12): the skill's routing; what each message does is in
 * flow.ts, the records in ChainBook.ts, the console section in console/. See README.md.
 */
export const ChainSkill = defineSkill<ChainConfig>({
  name: 'chain',
  description: '接龙: sign-up chains with a limit, a waitlist and a deadline; joins confirmed together',
  config: ChainConfig,
  // WeChat's own group-note (接龙) message, where the puppet gives one
  kinds: ['groupNote'],

  takes: (c, text) => chainTakes(c, text),

  summary(c) {
    return [`接龙: #${c.command} <标题> [限N人] [截止 20:00] (${c.members ? 'admins and members' : 'admins'}); ${c.joinTriggers.join('/')} joins, confirmations every ${c.confirmSeconds}s`]
  },

  onMessage(ctx) {
    const kind = ctx.message.kind ?? 'text'
    if (kind === 'groupNote') return joinOpen(ctx, parseRepost(ctx.message.text, ctx.talker.name)?.note ?? '', 'groupNote', false)
    if (kind !== 'text') return false
    const text = ctx.message.text
    const c = ctx.config
    // WeChat's own list reposted ("#接龙" + numbered lines): before the command, which it resembles
    const repost = parseRepost(text, ctx.talker.name)
    if (repost) return joinOpen(ctx, repost.note, 'repost', false)
    const cmd = ctx.bot.commandPrefix + c.command
    if (text === cmd || (text.startsWith(cmd) && /^\s/u.test(text.slice(cmd.length)))) return command(ctx, text.slice(cmd.length).trim())
    if (c.listTriggers.includes(text)) return showList(ctx)
    if (c.cancelTriggers.includes(text)) return cancel(ctx)
    const join = parseJoin(text, c.joinTriggers)
    // "+1" with no chain open is ordinary chat; the command word alone gets an answer
    if (join) return joinOpen(ctx, join.note, 'text', text === c.command)
    return false
  },

  onJob(ctx) {
    const id = ctx.job.id
    if (id.startsWith('confirm:')) return sendConfirmation(ctx, (ctx.job.data as { room: string }).room)
    if (id.startsWith('deadline:')) return deadlineDue(ctx, (ctx.job.data as { chain: string }).chain)
  },

  forgetMember: (ctx, contactId) => forgetChainMember(ctx, contactId),
  exportMember: (ctx, contactId) => exportChainMember(ctx, contactId),

  sweep(ctx) {
    const book = new ChainBook(ctx.store)
    const now = ctx.clock.now()
    for (const c of book.all()) {
      if (c.status === 'closed' && (c.closedAt ?? c.openedAt) < now - RETAIN_CLOSED_MS) {
        book.remove(c.id)
        ctx.jobs.forget(deadlineJob(c.id))
      }
    }
    // a confirmation that lost its job (none should): sent now rather than never
    for (const [, p] of ctx.store.entries<PendingConfirmation>('pending/')) {
      if (ctx.jobs.get(confirmJob(p.room))?.state !== 'planned') sendConfirmation(ctx, p.room)
    }
  },

  console: chainsSection,
})

/**
 * A chain trigger or command: guard's repeat rule does not count it, checkin's activity points
 * do not pay for it (Skill.takes). Pure, from the config: `+1` is taken also when no chain is
 * open. The command is recognised with the usual `#` prefix (and WeChat's own `#接龙` reposts).
 */
export function chainTakes(c: ChainConfig, text: string): boolean {
  if (c.listTriggers.includes(text) || c.cancelTriggers.includes(text) || parseJoin(text, c.joinTriggers) !== undefined) return true
  const cmd = `#${c.command}`
  return text === cmd || (text.startsWith(cmd) && /^\s/u.test(text.slice(cmd.length))) || text.startsWith('#接龙')
}
