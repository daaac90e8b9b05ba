import type { CommandContext, CommandSpec } from '../../src/engine/Skill.js'
import type { PostDef, PostsSettings } from './config.js'
import { PostCatalog, type PostsMemory } from './PostCatalog.js'
import { nextOccurrence, planPost, plannedJob, sendNow, type PostJob } from './PostSchedule.js'
import { occurrenceKey } from './when.js'

/**
 * `#post list` (next occurrences), `#post skip <id>` (the next occurrence only), `#post now <id>`
 * (once, now): the admin's side, acting on the group of the room typed in. Every change is
 * stored before the reply, which ctx.say sends only once it is on disk.
 */
type Ctx = CommandContext<PostsSettings, PostsMemory>

export const postCommand: CommandSpec<PostsSettings, PostsMemory> = {
  usage: 'post list · skip <编号> · now <编号>',
  run(ctx) {
    const [sub = '', ...rest] = ctx.args
    switch (sub.toLowerCase()) {
      case 'list':
        return list(ctx)
      case 'skip':
        return skip(ctx, rest)
      case 'now':
        return now(ctx, rest)
      default:
        return ctx.usage(sub ? `没有「${sub}」这个子命令` : undefined)
    }
  },
}

/** A post's schedule in the words it was written in. */
export function scheduleText(p: PostDef): string {
  if (p.when) return p.when.source
  return `入群第 ${p.after!.days} 天 ${p.after!.source.at}`
}

/** A post's first words, for lists and logs. */
export function preview(p: PostDef, max = 24): string {
  const texts = p.sendItems.filter((x): x is string => typeof x === 'string').join(' / ').replace(/\s+/g, ' ').trim()
  const clipped = [...texts].length > max ? `${[...texts].slice(0, max - 1).join('')}…` : texts
  const media = p.sendItems.flatMap((x) => (typeof x === 'string' ? [] : [x.media]))
  return `${clipped}${media.length > 0 ? ` +${media.join(' +')}` : ''}`
}

async function list(ctx: Ctx): Promise<void> {
  const posts = new PostCatalog(ctx).all()
  if (posts.length === 0) {
    await ctx.say('本群还没有定时群发（在配置的 posts 里添加，或在控制台的内容日历里添加）', { kind: 'info' })
    return
  }
  const lines = posts.map((p) => {
    const job = plannedJob(ctx, p.id)
    const at = job ? ((job.data as unknown as PostJob).at) : undefined
    const next = at === undefined ? '没有下一次' : `下次 ${ctx.time.format(at)}${job!.at !== at ? `（免打扰结束后 ${ctx.time.format(job!.at)}）` : ''}`
    return `${p.id} · ${scheduleText(p)} · ${next} · ${preview(p)}${p.source === 'console' ? '（控制台）' : ''}`
  })
  const p = ctx.bot.commandPrefix
  await ctx.say(`本群的定时群发（${posts.length}）：\n${lines.join('\n')}\n跳过下一次：${p}post skip <编号> · 立即发：${p}post now <编号>`, { kind: 'info', mergeable: false, coalesce: { key: 'posts:list', asker: ctx.talker } })
}

function find(ctx: Ctx, words: readonly string[], verb: string): PostDef | undefined {
  const id = words[0]
  if (!id || words.length > 1) {
    void ctx.usage(`要${verb}哪一条？写上编号（${ctx.bot.commandPrefix}post list 可查）`)
    return undefined
  }
  const post = new PostCatalog(ctx).byId(id)
  if (!post) void ctx.usage(`本群没有编号为 ${id} 的定时群发`)
  return post
}

async function skip(ctx: Ctx, words: readonly string[]): Promise<void> {
  const post = find(ctx, words, '跳过')
  if (!post) return
  const catalog = new PostCatalog(ctx)
  const job = plannedJob(ctx, post.id)
  const at = job ? (job.data as unknown as PostJob).at : nextOccurrence(ctx, post, Math.max(ctx.clock.now(), catalog.state(post.id)?.from ?? 0))
  if (at === undefined) {
    await ctx.say(`${post.id} 没有下一次可以跳过`, { kind: 'info' })
    return
  }
  catalog.addSkip(post.id, occurrenceKey(at, ctx.bot.timezone))
  if (job) ctx.jobs.cancel(job.id)
  planPost(ctx, post)
  const after = plannedJob(ctx, post.id)
  const next = after ? `再下一次：${ctx.time.format((after.data as unknown as PostJob).at)}` : '之后没有下一次了'
  ctx.log.info({ post: post.id, skipped: occurrenceKey(at, ctx.bot.timezone), by: ctx.talker.id }, 'post occurrence skipped')
  await ctx.say(`已跳过 ${post.id} 的下一次（${ctx.time.format(at)}）；${next}`, { kind: 'owed' })
}

async function now(ctx: Ctx, words: readonly string[]): Promise<void> {
  const post = find(ctx, words, '立即发送')
  if (!post) return
  const r = sendNow(ctx, post, ctx.talker.id)
  await ctx.say(r.rooms === 0 ? `${post.id}：机器人不在本组的任何群里，没有发送` : `${post.id} 正在发往本组的 ${r.rooms} 个群`, { kind: 'owed' })
}
