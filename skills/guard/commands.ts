import type { CommandContext, CommandSpec } from '../../src/engine/Skill.js'
import { RULE_NAMES, type GuardConfig } from './config.js'
import type { GuardRecord } from './GuardBook.js'
import type { GuardMemory } from './removal.js'
import { guardHistory, pardon } from './manage.js'

type Ctx = CommandContext<GuardConfig, GuardMemory>

/** `#guard list` (the last 20 strikes and removals of this group), `#guard pardon @member|<id>`. */
export const guardCommand: CommandSpec<GuardConfig, GuardMemory> = {
  usage: 'guard list · pardon @成员（或联系人 id）',
  run(ctx) {
    const [sub = '', ...rest] = ctx.args
    switch (sub.toLowerCase()) {
      case 'list':
        return list(ctx)
      case 'pardon':
        return pardonCmd(ctx, rest)
      default:
        return ctx.usage(sub ? `没有「${sub}」这个子命令` : undefined)
    }
  },
}

const ACTION_NAMES: Record<GuardRecord['action'], string> = {
  strike: '警告',
  removal: '移出',
  'removal failed': '移出失败',
  pardon: '赦免',
}

async function list(ctx: Ctx): Promise<void> {
  const records = guardHistory(ctx.store.store, ctx.group.name, 20)
  // a list: one per room while it waits, @-ing every admin who asked
  const options = { kind: 'info', mergeable: false, coalesce: { key: 'guard:list', asker: ctx.talker } } as const
  if (records.length === 0) return ctx.say('本组还没有防骚扰记录', options)
  const lines = records.map((r) => formatRecord(ctx, r))
  await ctx.say(`防骚扰记录（最近 ${records.length} 条，新的在前）：\n${lines.join('\n')}`, options)
}

export function formatRecord(ctx: { time: { format(ms: number): string } }, r: GuardRecord): string {
  const who = `${r.name}（${r.contactId}）`
  const rule = r.rule ? ` ${RULE_NAMES[r.rule]}` : ''
  const count = r.strike !== undefined ? ` ${r.strike}/${r.of}` : ''
  const room = r.topic ? ` · ${r.topic}` : ''
  const extra = r.action === 'removal failed' ? ` · ${r.reason}` : r.action === 'pardon' ? ` · 由 ${r.by}` : ''
  return `${ctx.time.format(r.at)} ${ACTION_NAMES[r.action]} ${who}${rule}${count}${room}${extra}`
}

async function pardonCmd(ctx: Ctx, words: readonly string[]): Promise<void> {
  const ids = ctx.message.mentionIds.length > 0 ? ctx.message.mentionIds : words.filter((w) => !w.startsWith('@'))
  if (ids.length === 0) return ctx.usage('要 @ 成员或写联系人 id')
  const lines: string[] = []
  let changed = false
  for (const id of ids) {
    const r = pardon(ctx.store.store, ctx.group.name, id, ctx.talker.id, ctx.clock.now())
    ctx.memory.windows.forget(id)
    const who = `${r.name ?? id}（${id}）`
    if (!r.changed) {
      lines.push(`${who} 在本组没有违规记录，也不在黑名单里`)
      continue
    }
    changed = true
    ctx.log.info(
      { audit: true, action: 'guard pardon', contact: id, admin: ctx.talker.id, strikes: r.strikes, unbanned: r.unbanned, removalsCancelled: r.removalsCancelled },
      'member pardoned',
    )
    const parts = [r.strikes > 0 ? `清除 ${r.strikes} 次违规` : '', r.unbanned ? '移出黑名单' : '', r.removalsCancelled > 0 ? '取消等待中的移出' : ''].filter(Boolean)
    lines.push(`已赦免 ${who}：${parts.join('，')}`)
  }
  // a pardon stored is owed its confirmation; "nothing to pardon" changed nothing
  await ctx.say(lines.join('\n'), changed ? { kind: 'owed' } : { kind: 'info', coalesce: { key: `guard:pardon:${ctx.talker.id}:${ids.join(',')}` } })
}
