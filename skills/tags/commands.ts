import type { CommandContext, CommandSpec } from '../../src/engine/Skill.js'
import type { TagSource } from '../../src/members/TagBook.js'
import type { TagsConfig } from './config.js'

type Ctx = CommandContext<TagsConfig>

/** How a tag's source reads in chat. */
export const SOURCE_NAMES: Record<TagSource, string> = {
  admin: '管理员',
  streak: '连续签到',
  points: '积分',
  redeem: '兑换',
  guard: '防骚扰',
  gate: '门槛',
  api: 'API',
  console: '控制台',
}

const MAX_TAG = 32

/**
 * `#tag add @member… <tag>`, `#tag del @member… <tag>`, `#tag list @member…`. Members are the
 * message's @mentions (contact ids, the bot excluded); without any, bare words are taken as
 * contact ids (an operator who knows them). Tags are brand-wide. Each change is an audit line.
 */
export const tagCommand: CommandSpec<TagsConfig> = {
  usage: 'tag add @成员 <标签> · del @成员 <标签> · list @成员（可同时 @ 多人）',
  run(ctx) {
    const [sub = '', ...rest] = ctx.args
    switch (sub.toLowerCase()) {
      case 'add':
      case 'del':
        return change(ctx, sub.toLowerCase() as 'add' | 'del', rest)
      case 'list':
        return list(ctx, rest)
      default:
        return ctx.usage(sub ? `没有「${sub}」这个子命令` : undefined)
    }
  },
}

interface Target {
  id: string
  name: string
}

/** The members a command names: its @mentions (names paired in order when they line up), else bare ids. */
function targets(ctx: Ctx, words: readonly string[]): Target[] {
  const ids = ctx.message.mentionIds
  if (ids.length > 0) {
    const names = words.filter((w) => w.startsWith('@')).map((w) => w.slice(1))
    return ids.map((id, i) => ({ id, name: names.length === ids.length ? names[i]! : id }))
  }
  return words.filter((w) => !w.startsWith('@')).map((id) => ({ id, name: id }))
}

async function change(ctx: Ctx, op: 'add' | 'del', words: readonly string[]): Promise<void> {
  const tag = words[words.length - 1]
  if (!tag || tag.startsWith('@') || words.length < 2) return ctx.usage('要 @ 成员，最后写标签')
  if ([...tag].length > MAX_TAG) return ctx.usage(`标签最长 ${MAX_TAG} 个字`)
  const who = targets(ctx, words.slice(0, -1))
  if (who.length === 0) return ctx.usage('要 @ 成员')
  const now = ctx.clock.now()
  const changed: string[] = []
  const unchanged: string[] = []
  for (const t of who) {
    const done = op === 'add' ? ctx.tags.add(t.id, tag, { source: 'admin', at: now, by: ctx.talker.id }) : ctx.tags.remove(t.id, tag)
    if (done) {
      changed.push(t.name)
      ctx.log.info({ audit: true, admin: ctx.talker.id, action: `tag ${op}`, contact: t.id, tag, room: ctx.room.id }, op === 'add' ? 'tag added' : 'tag removed')
    } else unchanged.push(t.name)
  }
  const lines: string[] = []
  if (changed.length > 0) lines.push(`${op === 'add' ? '已加上' : '已去掉'}标签「${tag}」：${changed.join('、')}`)
  if (unchanged.length > 0) lines.push(`${op === 'add' ? '本来就有' : '本来就没有'}「${tag}」：${unchanged.join('、')}`)
  // a change stored is owed its confirmation; "already so" for everyone changed nothing
  await ctx.say(lines.join('\n'), changed.length > 0 ? { kind: 'owed' } : { kind: 'info', coalesce: { key: `tags:${op}:${ctx.talker.id}:${tag}:${who.map((t) => t.id).join(',')}` } })
}

async function list(ctx: Ctx, words: readonly string[]): Promise<void> {
  const who = targets(ctx, words)
  if (who.length === 0) return ctx.usage('要 @ 成员')
  const lines = who.map((t) => {
    const tags = Object.entries(ctx.tags.of(t.id)).sort(([a], [b]) => a.localeCompare(b))
    if (tags.length === 0) return `${t.name}：没有标签`
    return `${t.name}：${tags.map(([tag, m]) => `${tag}（${SOURCE_NAMES[m.source] ?? m.source} · ${ctx.time.format(m.at)}）`).join('、')}`
  })
  // a list: the same members' list asked again while it waits is one reply, @-ing the admins who asked
  await ctx.say(lines.join('\n'), { kind: 'info', mergeable: false, coalesce: { key: `tags:list:${who.map((t) => t.id).join(',')}`, asker: ctx.talker } })
}
