import type { Logger } from 'pino'
import type { Clock } from '../clock/Clock.js'
import type { GroupConfig, LoadedConfig } from '../config/loadConfig.js'
import type { MessageEvent } from './events.js'
import type { OutgoingQueue } from '../send/SendQueue.js'
import type { CommandContext, CommandSpec, MessageContext, SendOptions, Skill } from './Skill.js'
import type { DayStats, Stats } from './Stats.js'
import type { Store, StoreHealth } from '../store/Store.js'
import type { ZonedTime } from '../time/ZonedTime.js'

/**
 * What admin commands use of the engine — the Engine is one (it hands itself over) — so this
 * file does not import the Engine that imports it.
 */
export interface AdminHost {
  readonly currentConfig: LoadedConfig
  readonly log: Logger
  readonly time: ZonedTime
  readonly stats: Stats
  readonly deps: {
    readonly skills: readonly Skill<any>[]
    readonly queue: OutgoingQueue
    readonly store: Store
    readonly clock: Clock
    readonly reload?: () => Promise<{ ok: boolean; problems: string[] }>
  }
  isAdmin(contactId: string): boolean
  /** Every record of a member removed (#forget, CONTRACT §11). */
  forget(contactId: string, by: string): Promise<unknown>
  messageContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C, ev: MessageEvent): MessageContext<C, M>
}

interface CoreCommand {
  usage: string
  /** The reply: a text (owed for #reload, informational otherwise), or a text with its kind. */
  run(group: GroupConfig, ev: MessageEvent, args: string[]): Promise<string | { text: string; kind: 'owed' | 'info' }>
}

/**
 * `#command` handling: only contact ids in `bot.admins` reach a command; anyone else's
 * `#live ...` is swallowed without a word, so members learn nothing about what exists.
 * A word after the prefix that is no command is an ordinary message.
 */
export class AdminCommands {
  private readonly core: Record<string, CoreCommand>

  constructor(private readonly engine: AdminHost) {
    this.core = {
      reload: { usage: 'reload', run: () => this.reload() },
      stats: { usage: 'stats', run: (group, ev) => Promise.resolve(this.stats(group, ev)) },
      help: { usage: 'help', run: (group) => Promise.resolve(this.help(group)) },
      forget: { usage: 'forget @成员（或联系人 ID）  删除该成员的全部数据', run: (_group, ev, args) => this.forget(ev, args) },
    }
  }

  /** True when the message was a command (run, refused, or swallowed). */
  async handle(group: GroupConfig, ev: MessageEvent): Promise<boolean> {
    const prefix = this.engine.currentConfig.bot.commandPrefix
    const text = ev.message.text
    if (!text.startsWith(prefix)) return false
    const rest = text.slice(prefix.length).trim()
    const [word = '', ...args] = rest.split(/\s+/)
    const name = word.toLowerCase()
    const skillCmd = this.findSkillCommand(name)
    // the word is typed by people: `#constructor` is no command (own keys only)
    if (!Object.hasOwn(this.core, name) && !skillCmd) return false

    const log = this.engine.log
    if (!this.engine.isAdmin(ev.talker.id)) {
      log.debug({ room: ev.room.id, talker: ev.talker.id, command: name }, 'command from a non-admin; ignored')
      return true
    }
    log.info({ audit: true, admin: ev.talker.id, command: text, room: ev.room.id, topic: ev.room.topic, group: group.name }, 'admin command')

    // what confirms a change is owed (merged with other confirmations); a listing, a hint, a
    // usage line or an error is informational: one per room (or per admin) while it waits,
    // @-ing every admin who asked
    const say = (reply: string, options: SendOptions): Promise<void> =>
      this.engine.deps.queue
        // only what confirms a change waits for the disk: #stats and #help answer also while it fails
        .enqueue(ev.room.id, [reply], { ...options, after: options.kind === 'owed' ? this.engine.deps.store.durable() : undefined })
        .then((r) => {
          if (!r.sent && (r.cause === 'expired' || r.cause === 'full') && !r.coalesced) this.engine.stats.count(group.name, ev.room.id, 'repliesDropped')
        })
    const asked = (key: string) => ({ key: `core:${key}`, asker: ev.talker })

    const core = Object.hasOwn(this.core, name) ? this.core[name] : undefined
    if (core) {
      // #reload's verdict (and #forget's) is owed either way: the admin changed something and waits for it
      const out = await core.run(group, ev, args)
      const reply = typeof out === 'string' ? { text: out, kind: name === 'reload' ? ('owed' as const) : ('info' as const) } : out
      await say(reply.text, reply.kind === 'info' ? { kind: 'info', mergeable: false, coalesce: asked(name) } : { kind: reply.kind })
      return true
    }
    const [skill, spec] = skillCmd!
    const config = group.skills.get(skill.name)
    if (config === undefined) {
      // a built-in command where its skill is off: say which skill to turn on, in one line
      await say(`${prefix}${name} 属于 ${skill.name}，本群（分组「${group.name}」）没有开启：在配置里这个分组的 skills 下加上 ${skill.name}（skills.${skill.name}），再 ${prefix}reload`, { kind: 'info', coalesce: asked(`off:${skill.name}`) })
      return true
    }
    // the message's context (a class instance: extended, not copied) plus the command's words
    const ctx = Object.assign(this.engine.messageContext(skill, group, config, ev), {
      args,
      rest: rest.slice(word.length).trim(),
      usage: (problem?: string) => {
        const text = `${problem ? problem + '\n' : ''}用法：${prefix}${spec.usage}`
        return say(text, { kind: 'info', coalesce: asked(`usage:${ev.talker.id}:${text}`) })
      },
    }) satisfies CommandContext<unknown>
    try {
      await spec.run(ctx)
    } catch (err) {
      log.error({ err, command: name }, 'admin command failed')
      await say(`命令出错：${(err as Error).message}`, { kind: 'info', coalesce: asked(`error:${ev.talker.id}:${name}`) })
    }
    return true
  }

  /** Is the text a `#command` of the core or of a loaded skill (whoever typed it)? */
  isCommand(text: string): boolean {
    const prefix = this.engine.currentConfig.bot.commandPrefix
    if (!text.startsWith(prefix)) return false
    const name = (text.slice(prefix.length).trim().split(/\s+/)[0] ?? '').toLowerCase()
    return Object.hasOwn(this.core, name) || this.findSkillCommand(name) !== undefined
  }

  private findSkillCommand(name: string): [Skill<unknown>, CommandSpec<unknown>] | undefined {
    for (const s of this.engine.deps.skills) {
      const spec = s.commands && Object.hasOwn(s.commands, name) ? s.commands[name] : undefined
      if (spec) return [s as Skill<unknown>, spec as CommandSpec<unknown>]
    }
    return undefined
  }

  private async reload(): Promise<string> {
    const reload = this.engine.deps.reload
    if (!reload) return '这个运行方式不支持重新加载'
    const r = await reload()
    if (r.ok) return `配置已重新加载 ✓ ${this.engine.currentConfig.groups.length} 个分组`
    const shown = r.problems.slice(0, 8)
    const more = r.problems.length - shown.length
    return `配置有误，未生效（继续使用旧配置）：\n${shown.join('\n')}${more > 0 ? `\n……还有 ${more} 条` : ''}`
  }

  /**
   * `#forget @member` (or contact ids): every record of each removed (CONTRACT §11, see
   * src/engine/members/forget.ts). Names in the reply are never the forgotten member's: a count.
   */
  private async forget(ev: MessageEvent, args: string[]): Promise<{ text: string; kind: 'owed' | 'info' }> {
    const p = this.engine.currentConfig.bot.commandPrefix
    // the @mentions; without any, words that look like WeChat ids (a mention's name is never one)
    const ids = [...new Set(ev.message.mentionIds.length > 0 ? ev.message.mentionIds : args.filter((a) => /^[A-Za-z][\w-]{4,127}$/.test(a)))]
    if (ids.length === 0) return { text: `用法：${p}forget @成员（或联系人 ID）\n删除该成员的全部数据（昵称、入群记录、标签、转人工记录等），积分总数以匿名身份保留。`, kind: 'info' }
    for (const id of ids) await this.engine.forget(id, ev.talker.id)
    return { text: `已删除 ${ids.length} 位成员的数据。`, kind: 'owed' }
  }

  private stats(group: GroupConfig, ev: MessageEvent): string {
    const day = this.engine.time.dayKey(this.engine.deps.clock.now())
    const room = this.engine.stats.forRoom(group.name, ev.room.id, day)
    const lines = [`今日数据 ${day} · ${ev.room.topic}`, ...formatStats(room)]
    const all = this.engine.stats.forGroup(group.name, day)
    if (all.rooms > 1) lines.push(`分组「${group.name}」${all.rooms} 个群合计：`, ...formatStats(all.total))
    lines.push(...formatStoreHealth(this.engine.deps.store.health(), this.engine.deps.clock.now()))
    return lines.join('\n')
  }

  private help(group: GroupConfig): string {
    const p = this.engine.currentConfig.bot.commandPrefix
    const lines = Object.values(this.core).map((c) => `${p}${c.usage}`)
    for (const s of this.engine.deps.skills) {
      if (!group.skills.has(s.name)) continue
      for (const spec of Object.values(s.commands ?? {})) lines.push(`${p}${spec.usage}`)
    }
    return `管理命令：\n${lines.join('\n')}`
  }
}

/** The store's health for `#stats`: nothing while every write worked since the start. */
export function formatStoreHealth(h: StoreHealth, now: number): string[] {
  // a change the store refused for good (its member was told): the rest was stored
  const refused = h.refusedChanges > 0 ? [`⚠️ 启动以来有 ${h.refusedChanges} 条数据被存储拒绝、未保存（详见日志）`] : []
  if (h.writable && h.failedCommits === 0) return refused
  const since = h.failingSince === undefined ? '' : `已 ${Math.max(1, Math.round((now - h.failingSince) / 60_000))} 分钟，`
  return h.writable
    ? [`数据写入：正常（启动以来失败 ${h.failedCommits} 次，已恢复）`, ...refused]
    : [`⚠️ 数据写入失败：${since}失败 ${h.failedCommits} 次，最近：${h.lastError ?? '?'}；新的签到等暂不确认，恢复后补发`, ...refused]
}

export function formatStats(s: DayStats): string[] {
  const n = (k: keyof DayStats): number => s[k] ?? 0
  // a rule that answers and hands off is in both counts; the question is one
  const questions = n('answeredByRules') + n('answeredByModel') + n('handedOff') - n('answeredAndHandedOff')
  const both = n('answeredAndHandedOff') > 0 ? `（其中规则已回复 ${n('answeredAndHandedOff')}）` : ''
  return [
    `入群 ${n('joins')} · 退群 ${n('leaves')} · 签到 ${n('checkins')}`,
    `提问 ${questions}：关键词回答 ${n('answeredByRules')} · AI 回答 ${n('answeredByModel')} · 转人工 ${n('handedOff')}${both}`,
    `消息 ${n('messages')}${n('repliesDropped') > 0 ? ` · 高峰时未能及时发出而放弃的回复 ${n('repliesDropped')}` : ''}`,
  ]
}
