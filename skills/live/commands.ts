import type { CommandContext, CommandSpec, SendOptions } from '../../src/engine/Skill.js'
import type { LiveConfig } from './config.js'
import type { LiveMemory } from './context.js'
import { liveTag } from './Deliveries.js'
import { LiveCatalog } from './LiveCatalog.js'
import { syncSchedule } from './LiveSchedule.js'
import { Subscriptions } from './Subscriptions.js'

/**
 * `#live add <YYYY-MM-DD HH:mm> <title> [link]`, `#live list`, `#live cancel <id>`: the admin's
 * side, acting on the group of the room typed in. Only admins get here (the core swallows
 * everyone else's `#live` and writes the audit line). Every change is stored before the
 * reply, which ctx.say sends only once it is on disk.
 */
type Ctx = CommandContext<LiveConfig, LiveMemory>

export const liveCommand: CommandSpec<LiveConfig, LiveMemory> = {
  usage: 'live add <YYYY-MM-DD HH:mm> <标题> [链接] · list · cancel <编号>',
  run(ctx) {
    const [sub = '', ...rest] = ctx.args
    switch (sub.toLowerCase()) {
      case 'add':
        return add(ctx, rest)
      case 'list':
        return list(ctx)
      case 'cancel':
        return cancel(ctx, rest)
      default:
        return ctx.usage(sub ? `没有「${sub}」这个子命令` : undefined)
    }
  },
}

const LINK = /^https?:\/\/\S+$/i

async function add(ctx: Ctx, words: readonly string[]): Promise<void> {
  // `2026-11-25 20:00` is two words; an ISO time with its offset is one. Chinese input
  // methods type a full-width colon (20：00), which is meant as the same thing.
  const w = (i: number): string => (words[i] ?? '').replace(/：/g, ':')
  const one = w(0).includes('T') ? ctx.time.parse(w(0)) : undefined
  const start = one ?? (words.length >= 2 ? ctx.time.parse(`${w(0)} ${w(1)}`) : undefined)
  if (start === undefined) return ctx.usage('开播时间要写成 2026-11-25 20:00')
  const rest = words.slice(one !== undefined ? 1 : 2)
  const link = rest.length > 1 && LINK.test(rest[rest.length - 1]!) ? rest[rest.length - 1] : undefined
  const title = (link ? rest.slice(0, -1) : rest).join(' ').trim()
  if (!title) return ctx.usage('缺少直播标题')
  if ([...title].length > 100) return ctx.usage('标题最多 100 个字')
  const now = ctx.clock.now()
  if (start <= now) return ctx.usage(`${ctx.time.formatLocal(start)} 已经过去了`)

  const live = new LiveCatalog(ctx).add({ title, start, link, by: ctx.talker.id, now })
  syncSchedule(ctx)
  ctx.log.info({ live: live.id, start: new Date(start).toISOString(), by: ctx.talker.id }, 'live added')
  const p = ctx.bot.commandPrefix
  await ctx.say(`已添加直播 ${live.id}：${ctx.time.format(start)} ${title}${link ? ` ${link}` : ''}\n取消：${p}live cancel ${live.id}`, { kind: 'owed' })
}

async function list(ctx: Ctx): Promise<void> {
  const lives = new LiveCatalog(ctx).upcoming(ctx.clock.now())
  if (lives.length === 0) {
    await ctx.say('本群暂时没有待开播的直播', listReply(ctx))
    return
  }
  const subs = new Subscriptions(ctx.store)
  const lines = lives.map(
    (l) => `${l.id} · ${ctx.time.format(l.start)} ${l.title}（${l.source === 'config' ? '配置' : '命令添加'}，预约 ${subs.count(l.ref)} 人）`,
  )
  await ctx.say(`本群待开播的直播（${lives.length}）：\n${lines.join('\n')}`, listReply(ctx))
}

/** `#live list` is a list: one per room while it waits, @-ing every admin who asked. */
function listReply(ctx: Ctx): SendOptions {
  return { kind: 'info', mergeable: false, coalesce: { key: 'live:admin-list', asker: ctx.talker } }
}

async function cancel(ctx: Ctx, words: readonly string[]): Promise<void> {
  const id = words[0]
  if (!id || words.length > 1) return ctx.usage(`要取消哪一场？写上编号（${ctx.bot.commandPrefix}live list 可查）`)
  const catalog = new LiveCatalog(ctx)
  const live = catalog.find(id)
  if (!live) return ctx.usage(`没有编号为 ${id} 的直播（已取消的不再列出）`)
  catalog.cancel(live, ctx.talker.id, ctx.clock.now())
  syncSchedule(ctx)
  // its reminders already queued (a backlogged room) are taken back too
  const withdrawn = ctx.withdraw(liveTag(live.ref))
  ctx.log.info({ live: live.id, by: ctx.talker.id, withdrawn }, 'live cancelled')
  const note = live.source === 'config' ? '（配置里的这场直播保持取消，直到配置改了它的时间或标题）' : ''
  await ctx.say(`已取消直播 ${live.id}：${live.title}，提醒不再发送${note}`, { kind: 'owed' })
}
