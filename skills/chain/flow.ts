import { DEFAULT_MAX_LATE_MS } from '../../src/engine/jobs.js'
import type { GroupContext, Member, MessageContext } from '../../src/engine/Skill.js'
import { segment } from '../../src/store/Store.js'
import { splitSegments, type Mention, type Segment } from '../../src/text/Outgoing.js'
import { ChainBook, type Chain, type Entry } from './ChainBook.js'
import type { ChainConfig } from './config.js'
import { parseJoin, parseOpen, parseRepost } from './parse.js'
import { details, listText, nameList } from './texts.js'

/**
 * What the chain skill does (index.ts routes to it; the console section calls closeChain).
 *
 * chain — 接龙, sign-up chains (CONTRACT §12). An admin (or, with `members: true`, anyone)
 * opens one in a room with `#接龙 <title> [限N人] [截止 20:00]`; members join with `接龙`,
 * `+1`, `接龙 <note>`, a repost of WeChat's own 接龙 list or WeChat's group-note message;
 * `取消接龙` leaves (the first of the waitlist moves up and is @-ed); `接龙名单` shows the list;
 * `#接龙 结束` or the deadline closes it with the final list.
 *
 * Joins are confirmed together: every join, cancel and promotion within `confirmSeconds` of
 * the first is one owed message, never one per joiner. The waiting confirmation is a record in
 * the store with a durable job as its alarm (as welcome's batches), so a crash inside the
 * window still confirms, once. Chains, joiners and deadlines are durable (ChainBook.ts).
 */
export type ChainCtx = GroupContext<ChainConfig>
export type Ctx = MessageContext<ChainConfig>

/** What waits to be confirmed in one room. */
export interface PendingConfirmation {
  room: string
  chainId: string
  title: string
  due: number
  /** Who joined, went on the waitlist, left in the window: contact id and the name shown (with the note). */
  joined: Shown[]
  waitlisted: Shown[]
  cancelled: Shown[]
  promoted: Member[]
}

export interface Shown {
  id: string
  shown: string
}

/** Closed chains are kept this long (console, CSV), then swept. */
export const RETAIN_CLOSED_MS = 90 * 24 * 3600_000

export const pendingKey = (roomId: string): string => `pending/${segment(roomId)}`
export const confirmJob = (roomId: string): string => `confirm:${roomId}`
export const deadlineJob = (chainId: string): string => `deadline:${chainId}`


export function isAdmin(ctx: ChainCtx, contactId: string): boolean {
  return ctx.bot.admins.includes(contactId)
}

export function usage(ctx: Ctx, problem?: string): true {
  const cmd = ctx.bot.commandPrefix + ctx.config.command
  const text = `${problem ? problem + '\n' : ''}用法：${cmd} <标题> [限<N>人] [截止 20:00]；${cmd} 结束`
  void ctx.say(text, { kind: 'info', mergeable: false, coalesce: { key: `chain:usage:${ctx.talker.id}` } })
  return true
}

/** `#接龙 …`: open a chain, close it, or say how. Members without the right are ignored, like other commands. */
export function command(ctx: Ctx, rest: string): true {
  const admin = isAdmin(ctx, ctx.talker.id)
  const book = new ChainBook(ctx.store)
  const open = book.openIn(ctx.room.id)
  if (rest === '结束' || rest === '关闭') {
    // the opener may close their own chain too (members: true)
    if (!admin && !(ctx.config.members && open?.openedBy.id === ctx.talker.id)) return ignored(ctx)
    if (!open) {
      void ctx.say('本群没有进行中的接龙', { kind: 'info', coalesce: { key: 'chain:none' } })
      return true
    }
    ctx.log.info({ audit: true, action: 'chain close', chain: open.id, by: ctx.talker.id, room: ctx.room.id }, 'chain closed')
    closeChain(ctx, open, ctx.talker.id, 'owed')
    return true
  }
  if (!admin && !ctx.config.members) return ignored(ctx)
  if (rest === '') return usage(ctx)
  if (open) {
    const n = book.entries(open).length
    void ctx.say(`本群已有进行中的接龙「${open.title}」（${open.id}，${n} 人）。先发「${ctx.bot.commandPrefix}${ctx.config.command} 结束」再开新的`, {
      kind: 'info',
      coalesce: { key: `chain:busy:${ctx.talker.id}` },
    })
    return true
  }
  const now = ctx.clock.now()
  const req = parseOpen(rest, now, ctx.time.zone)
  if (!req.ok) return usage(ctx, req.problem)
  const chain = book.open({
    roomId: ctx.room.id,
    topic: ctx.room.topic,
    title: req.title,
    limit: req.limit,
    deadline: req.deadline,
    openedBy: { id: ctx.talker.id, name: ctx.talker.name },
    openedAt: now,
  })
  // the job closes it even when nobody speaks; late after downtime it still closes (onJob decides what to say)
  if (chain.deadline !== undefined) ctx.jobs.plan(deadlineJob(chain.id), chain.deadline, { chain: chain.id }, { maxLateMs: Number.MAX_SAFE_INTEGER })
  ctx.log.info({ audit: true, action: 'chain open', chain: chain.id, by: ctx.talker.id, room: ctx.room.id, limit: chain.limit, deadline: chain.deadline }, 'chain opened')
  const c = ctx.config
  const text = ctx.render(c.openText, { title: chain.title, details: details(chain, ctx.time), join: c.joinTriggers[0] ?? c.command, list: c.listTriggers[0] ?? '', cancel: c.cancelTriggers[0] ?? '' })
  // it confirms what the admin stored
  void ctx.say(text, { kind: 'owed' })
  return true
}

export function ignored(ctx: Ctx): true {
  ctx.log.debug({ talker: ctx.talker.id, room: ctx.room.id }, 'chain command from someone not allowed; ignored')
  return true
}

/**
 * Join the room's open chain. With none open: the command word alone is told so; anything
 * else (+1, a repost of WeChat's own chain) is ordinary chat.
 */
export function joinOpen(ctx: Ctx, rawNote: string, via: Entry['via'], answerWhenNone: boolean): boolean {
  const chain = liveChain(ctx)
  if (!chain) {
    if (!answerWhenNone) return false
    void ctx.say('本群现在没有进行中的接龙', { kind: 'info', coalesce: { key: 'chain:none' } })
    return true
  }
  const note = [...rawNote.replace(/\s+/gu, ' ').trim()].slice(0, ctx.config.maxNote).join('')
  const r = new ChainBook(ctx.store).join(chain, ctx.talker, note, via, ctx.clock.now())
  if (r.kind === 'already') {
    const where = r.entry.waiting ? `候补第 ${r.entry.place} 位` : `第 ${r.entry.place} 位`
    void ctx.say(`${ctx.talker.name} 已在接龙「${chain.title}」里（${where}）`, { kind: 'info', coalesce: { key: `chain:already:${ctx.talker.id}` } })
    return true
  }
  ctx.log.debug({ chain: chain.id, member: ctx.talker.id, result: r.kind, place: r.entry.place, via }, 'chain join')
  const shown = note ? `${ctx.talker.name}（${note}）` : ctx.talker.name
  addPending(ctx, chain, (p) => {
    const others = (l: Shown[]): Shown[] => l.filter((x) => x.id !== ctx.talker.id)
    const inWindow = p.joined.some((x) => x.id === ctx.talker.id) || p.waitlisted.some((x) => x.id === ctx.talker.id)
    // a note changed for a join confirmed earlier says so; within the window the line is just redone
    const me: Shown = { id: ctx.talker.id, shown: r.kind === 'noteUpdated' && !inWindow ? `${shown}，备注已更新` : shown }
    const base = { ...p, joined: others(p.joined), waitlisted: others(p.waitlisted), cancelled: others(p.cancelled) }
    return r.entry.waiting ? { ...base, waitlisted: [...base.waitlisted, me] } : { ...base, joined: [...base.joined, me] }
  })
  return true
}

/** The room's open chain — closed first if its deadline passed while its job had not run yet. */
export function liveChain(ctx: Ctx): Chain | undefined {
  const chain = new ChainBook(ctx.store).openIn(ctx.room.id)
  if (chain?.deadline !== undefined && chain.deadline <= ctx.clock.now()) {
    closeChain(ctx, chain, 'deadline', 'owed')
    return undefined
  }
  return chain
}

export function cancel(ctx: Ctx): true {
  const chain = liveChain(ctx)
  const r = chain && new ChainBook(ctx.store).leave(chain, ctx.talker.id)
  if (!chain || !r) {
    void ctx.say(`${ctx.talker.name} 不在进行中的接龙里`, { kind: 'info', coalesce: { key: `chain:notin:${ctx.talker.id}` } })
    return true
  }
  ctx.log.debug({ chain: chain.id, member: ctx.talker.id, promoted: r.promoted?.member }, 'chain cancel')
  addPending(ctx, chain, (p) => ({
    ...p,
    cancelled: [...p.cancelled.filter((x) => x.id !== ctx.talker.id), { id: ctx.talker.id, shown: ctx.talker.name }],
    // one who joined and left within the window is only said to have left
    joined: p.joined.filter((x) => x.id !== ctx.talker.id),
    waitlisted: p.waitlisted.filter((x) => x.id !== ctx.talker.id),
    promoted: r.promoted ? [...p.promoted.filter((m) => m.id !== ctx.talker.id), { id: r.promoted.member, name: r.promoted.name }] : p.promoted.filter((m) => m.id !== ctx.talker.id),
  }))
  return true
}

export function showList(ctx: Ctx): true {
  const book = new ChainBook(ctx.store)
  // the open one, else the room's last one (its final list)
  const chain = liveChain(ctx) ?? book.all().find((c) => c.roomId === ctx.room.id)
  if (!chain) {
    void ctx.say('本群还没有接龙', { kind: 'info', coalesce: { key: 'chain:none' } })
    return true
  }
  const parts = splitSegments(listText(ctx, chain, book.entries(chain)))
  // one list per room while it waits, @-ing everyone who asked (never one per asker)
  parts.forEach((part, i) => void ctx.say(part, { kind: 'info', mergeable: false, coalesce: { key: `chain:list:${chain.id}:${i}`, asker: ctx.talker } }))
  return true
}

/** Add to the room's waiting confirmation, opening its window (and durable alarm) if none is open. */
export function addPending(ctx: Ctx, chain: Chain, change: (p: PendingConfirmation) => PendingConfirmation): void {
  const key = pendingKey(ctx.room.id)
  let p = ctx.store.get<PendingConfirmation>(key)
  if (p && p.chainId !== chain.id) {
    // left from an earlier chain (it closed meanwhile): out first
    sendConfirmation(ctx, ctx.room.id)
    p = undefined
  }
  if (!p) {
    const due = ctx.clock.now() + ctx.config.confirmSeconds * 1000
    p = { room: ctx.room.id, chainId: chain.id, title: chain.title, due, joined: [], waitlisted: [], cancelled: [], promoted: [] }
    ctx.jobs.plan(confirmJob(ctx.room.id), due, { room: ctx.room.id }, { maxLateMs: Number.MAX_SAFE_INTEGER })
  }
  ctx.store.set(key, change(p))
}

/**
 * The room's waiting confirmation goes out as one owed message (taken out of the store in the
 * same turn: at most once). More than 10 minutes late after downtime it is dropped and logged.
 */
export function sendConfirmation(ctx: ChainCtx, roomId: string): void {
  const key = pendingKey(roomId)
  const p = ctx.store.get<PendingConfirmation>(key)
  ctx.store.delete(key)
  ctx.jobs.forget(confirmJob(roomId))
  if (!p) return
  const late = ctx.clock.now() - p.due
  if (late > DEFAULT_MAX_LATE_MS) {
    ctx.log.warn({ room: roomId, chain: p.chainId, lateMinutes: Math.round(late / 60_000) }, 'a chain confirmation was not sent: it is more than 10 minutes late (the bot was down)')
    return
  }
  const book = new ChainBook(ctx.store)
  const chain = book.get(p.chainId)
  const entries = chain ? book.entries(chain) : []
  const on = entries.filter((e) => !e.waiting).length
  const waiting = entries.length - on
  const c = ctx.config
  const lines: Segment[][] = []
  if (p.joined.length > 0) {
    lines.push(ctx.render(c.joinedText, { title: p.title, names: nameList(p.joined.map((x) => x.shown)), count: p.joined.length, total: on, limit: chain?.limit !== undefined ? `/${chain.limit}` : '' }))
  }
  if (p.waitlisted.length > 0) lines.push(ctx.render(c.waitlistedText, { title: p.title, names: nameList(p.waitlisted.map((x) => x.shown)), count: p.waitlisted.length, waiting }))
  if (p.cancelled.length > 0) lines.push(ctx.render(c.cancelledText, { title: p.title, names: nameList(p.cancelled.map((x) => x.shown)), count: p.cancelled.length, total: on }))
  // still on the list (not left again within the window): @-ed, as the contract asks
  const promoted: Mention[] = p.promoted.filter((m) => entries.some((e) => e.member === m.id && !e.waiting)).map((m) => ({ mention: m.id, name: m.name }))
  if (promoted.length > 0) lines.push(ctx.render(c.promotedText, { title: p.title, names: promoted }))
  if (lines.length === 0) return
  const text: Segment[] = []
  lines.forEach((l, i) => text.push(...(i > 0 ? ['\n'] : []), ...l))
  for (const part of splitSegments(text)) void ctx.sayIn(roomId, part, { kind: 'owed' })
}

/** Close: the waiting confirmation first, then the final list (owed when an admin closed it, scheduled at the deadline). */
export function closeChain(ctx: ChainCtx, chain: Chain, by: string, kind: 'owed' | 'scheduled'): void {
  const book = new ChainBook(ctx.store)
  const closed = book.close(chain.id, by, ctx.clock.now())
  if (!closed) return
  ctx.jobs.forget(deadlineJob(chain.id))
  const pending = ctx.store.get<PendingConfirmation>(pendingKey(chain.roomId))
  if (pending?.chainId === chain.id) sendConfirmation(ctx, chain.roomId)
  postFinal(ctx, closed, by === 'deadline' ? '已到截止时间' : '已截止', kind)
}

export function postFinal(ctx: ChainCtx, chain: Chain, why: string, kind: 'owed' | 'scheduled'): void {
  const book = new ChainBook(ctx.store)
  const entries = book.entries(chain)
  const on = entries.filter((e) => !e.waiting).length
  const heading = ctx.render(ctx.config.closedText, { title: chain.title, total: on, waiting: entries.length - on, why })
  for (const part of splitSegments(listText(ctx, chain, entries, heading))) void ctx.sayIn(chain.roomId, part, { kind, mergeable: false, because: 'list' })
}

/** The deadline's job: close; the final list is said when at most 10 minutes late, else logged. */
export function deadlineDue(ctx: ChainCtx, chainId: string): void {
  const book = new ChainBook(ctx.store)
  const chain = book.get(chainId)
  if (!chain || chain.status !== 'open') return
  const late = ctx.clock.now() - (chain.deadline ?? ctx.clock.now())
  if (late <= DEFAULT_MAX_LATE_MS && ctx.rooms().some((r) => r.id === chain.roomId)) {
    closeChain(ctx, chain, 'deadline', 'scheduled')
    return
  }
  book.close(chain.id, 'deadline', ctx.clock.now())
  ctx.jobs.forget(deadlineJob(chain.id))
  ctx.log.warn({ chain: chain.id, room: chain.roomId, lateMinutes: Math.round(late / 60_000) }, 'a chain reached its deadline while the bot was down; closed without posting the final list')
}

/** Forget (§11): their entries go (the others keep their order), their name off a chain they opened and off waiting confirmations. */
export function forgetChainMember(ctx: ChainCtx, contactId: string): void {
  new ChainBook(ctx.store).forget(contactId)
  for (const [key, p] of ctx.store.entries<PendingConfirmation>('pending/')) {
    const drop = <T extends { id: string }>(l: T[]): T[] => l.filter((x) => x.id !== contactId)
    ctx.store.set(key, { ...p, joined: drop(p.joined), waitlisted: drop(p.waitlisted), cancelled: drop(p.cancelled), promoted: drop(p.promoted) })
  }
}

export function exportChainMember(ctx: ChainCtx, contactId: string): unknown {
  return new ChainBook(ctx.store).entriesOf(contactId).map(({ chain, entry }) => ({
    chain: chain.id,
    title: chain.title,
    room: chain.roomId,
    name: entry.name,
    note: entry.note,
    at: entry.at,
    via: entry.via,
  }))
}
