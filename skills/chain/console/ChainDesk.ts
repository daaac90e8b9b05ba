import { DateTime } from 'luxon'
import { ApiError, iso, type ConsoleDeps } from '../../../src/console/extensions.js'
import type { GroupConfig } from '../../../src/config/loadConfig.js'
import type { Skill } from '../../../src/engine/Skill.js'
import { Namespace } from '../../../src/store/Store.js'
import { ChainBook, type Chain, type Placed } from '../ChainBook.js'
import type { ChainConfig } from '../config.js'
import { closeChain } from '../flow.js'
import { toCsv } from './csv.js'
import type { ChainView } from './schemas.js'

/**
 * What the console does with chains, through the chain skill's own records and functions
 * (ChainBook, closeChain): list every chain with its joiners, a chain as CSV, close one.
 */
export class ChainDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  /** Every group of the config that has the chain skill on, or had chains (their records stay). */
  private groups(only?: string): string[] {
    const names = this.deps.config().groups.map((g) => g.name)
    if (only !== undefined && !names.includes(only)) throw new ApiError(404, `no group "${only}" in the config`)
    return only !== undefined ? [only] : names
  }

  private book(group: string): ChainBook {
    return new ChainBook(new Namespace(this.deps.store, 'chain/').child(`group:${group}`))
  }

  list(q: { group?: string; status: 'open' | 'closed' | 'all'; limit: number }): ChainView[] {
    const out: Array<{ chain: Chain; group: string }> = []
    for (const group of this.groups(q.group)) for (const chain of this.book(group).all()) if (q.status === 'all' || chain.status === q.status) out.push({ chain, group })
    out.sort((a, b) => b.chain.openedAt - a.chain.openedAt)
    return out.slice(0, q.limit).map(({ chain, group }) => this.view(group, chain))
  }

  get(group: string, id: string): ChainView {
    return this.view(group, this.find(group, id))
  }

  csv(group: string, id: string): { name: string; text: string } {
    const chain = this.find(group, id)
    const zone = this.deps.engine.time.zone
    const rows = this.book(group)
      .entries(chain)
      // the time as Excel reads it, in bot.timezone
      .map((e) => [e.waiting ? `候补${e.place}` : String(e.place), e.name, e.note, DateTime.fromMillis(e.at, { zone }).toFormat('yyyy-MM-dd HH:mm:ss'), e.member, VIA[e.via]])
    const text = toCsv([['序号', '昵称', '备注', '接龙时间', '微信ID', '方式'], ...rows])
    return { name: `${group}-${chain.id}.csv`, text }
  }

  /** Close as `#接龙 结束` does (the final list in the room), recorded as by console/api. */
  close(group: string, id: string, via: string): ChainView {
    const chain = this.find(group, id)
    if (chain.status !== 'open') throw new ApiError(409, `接龙 ${chain.id}「${chain.title}」已经结束了`)
    const found = this.skillIn(group)
    if (!found) throw new ApiError(409, `本组没有开启 chain（接龙），不能从控制台结束`)
    closeChain(this.deps.engine.groupContext(found.skill, found.group, found.config), chain, via, 'owed')
    return this.get(group, id)
  }

  private skillIn(name: string): { skill: Skill<ChainConfig>; group: GroupConfig; config: ChainConfig } | undefined {
    const group = this.deps.engine.findGroup(name)
    const skill = this.deps.engine.deps.skills.find((s) => s.name === 'chain') as Skill<ChainConfig> | undefined
    const config = group?.skills.get('chain') as ChainConfig | undefined
    return group && skill && config ? { skill, group, config } : undefined
  }

  private find(group: string, id: string): Chain {
    this.groups(group)
    const chain = this.book(group).get(id)
    if (!chain) throw new ApiError(404, `no chain ${id} in group ${group}`)
    return chain
  }

  private view(group: string, c: Chain): ChainView {
    const entries = this.book(group).entries(c)
    const topic = this.deps.engine.rooms.roomsOf(group).find((r) => r.id === c.roomId)?.topic ?? c.topic
    return {
      id: c.id,
      group,
      roomId: c.roomId,
      roomTopic: topic,
      title: c.title,
      limit: c.limit,
      deadline: c.deadline !== undefined ? iso(this.deps, c.deadline) : undefined,
      status: c.status,
      openedAt: iso(this.deps, c.openedAt),
      openedBy: c.openedBy,
      closedAt: c.closedAt !== undefined ? iso(this.deps, c.closedAt) : undefined,
      closedBy: c.closedBy,
      joined: entries.filter((e) => !e.waiting).length,
      waiting: entries.filter((e) => e.waiting).length,
      entries: entries.map((e: Placed) => ({ place: e.place, waiting: e.waiting, memberId: e.member, name: e.name, note: e.note, at: iso(this.deps, e.at), via: e.via })),
    }
  }
}

const VIA = { text: '发消息', repost: '转发微信接龙', groupNote: '微信接龙消息' } as const
