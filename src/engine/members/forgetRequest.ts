import type { Logger } from 'pino'
import type { Clock } from '../../clock/Clock.js'
import type { MemberBook } from '../../members/MemberBook.js'
import type { OutgoingQueue } from '../../send/SendQueue.js'
import type { Store } from '../../store/Store.js'
import type { DirectEvent } from '../events.js'
import { segment } from '../../store/Store.js'

/** What a member writes privately to have their data deleted, and then to confirm. */
export const FORGET_ASK = '删除我的数据'
export const FORGET_CONFIRM = '确认删除'
/** The confirmation must come within this long; anything else cancels. */
export const CONFIRM_WINDOW_MS = 5 * 60_000

const askKey = (contactId: string): string => `forgetAsk/${segment(contactId)}`

/**
 * A member's own request to be forgotten (CONTRACT §11), by private message: `删除我的数据`,
 * then `确认删除` within 5 minutes; anything else in between cancels (and is not handled
 * further: it was an answer to the question). The open question is durable (a restart
 * between the two keeps it). True when the message was part of this exchange.
 */
/** What the exchange uses of the engine (the Engine is one; this file does not import the Engine that calls it). */
export interface ForgetRequestHost {
  readonly members: MemberBook
  readonly log: Logger
  readonly deps: { readonly clock: Clock; readonly queue: OutgoingQueue; readonly store: Store }
  forget(contactId: string, by: string): Promise<unknown>
}

export async function handleForgetRequest(engine: ForgetRequestHost, ev: DirectEvent): Promise<boolean> {
  const text = ev.message.text.trim()
  const id = ev.contact.id
  const ns = engine.members.ns
  const now = engine.deps.clock.now()
  const askedAt = ns.get<number>(askKey(id))
  const reply = (what: string): Promise<unknown> =>
    engine.deps.queue.enqueue(id, [what], { after: engine.deps.store.durable(), kind: 'owed' })
  const open = askedAt !== undefined && now - askedAt <= CONFIRM_WINDOW_MS
  if (text === FORGET_ASK) {
    ns.set(askKey(id), now)
    engine.log.info({ audit: true, action: 'forget requested', contact: id, via: 'member' }, 'a member asked to delete their data')
    await reply(`确认要删除你的全部数据吗（昵称、入群记录、标签、积分明细中的身份、转人工记录等）？删除后无法恢复。请在 5 分钟内回复「${FORGET_CONFIRM}」；回复其他内容即取消。`)
    return true
  }
  if (askedAt === undefined) return false
  ns.delete(askKey(id))
  if (!open) {
    if (text !== FORGET_CONFIRM) return false
    await reply(`确认已超时，数据没有删除。如需删除，请重新发送「${FORGET_ASK}」。`)
    return true
  }
  if (text !== FORGET_CONFIRM) {
    engine.log.info({ audit: true, action: 'forget cancelled', contact: id, via: 'member' }, 'a member cancelled deleting their data')
    await reply('已取消，你的数据没有删除。')
    return true
  }
  await engine.forget(id, 'member')
  await reply('你的数据已删除。')
  return true
}

/** Open questions older than the window (Engine.sweep). */
export function sweepForgetRequests(engine: Pick<ForgetRequestHost, 'members'>, now: number): void {
  const ns = engine.members.ns
  for (const [key, at] of ns.entries<number>('forgetAsk/')) if (now - at > CONFIRM_WINDOW_MS) ns.delete(key)
}
