import { HandoffInbox, type Handoff } from '../inbox/HandoffInbox.js'
import { ApiError, iso, type ConsoleDeps } from './ConsoleDeps.js'
import type { Via } from './auth.js'

/** The hand-off inbox as the API shows it, and the two things people do with it. */
export class HandoffDesk {
  constructor(private readonly deps: ConsoleDeps) {}

  private get inbox(): HandoffInbox {
    return HandoffInbox.of(this.deps.store)
  }

  list(status?: Handoff['status']) {
    return this.inbox.list(status).map((h) => this.view(h))
  }

  openCount(): Map<string, number> {
    const out = new Map<string, number>()
    for (const h of this.inbox.list('open')) out.set(h.group, (out.get(h.group) ?? 0) + 1)
    return out
  }

  /**
   * Say the reply in the hand-off's room, @ the member, through the send queue (after the
   * record of it is on disk), and close the hand-off unless told not to.
   */
  reply(id: string, text: string, close: boolean, via: Via) {
    const now = this.deps.clock.now()
    const h = this.inbox.reply(id, text, via, now, close)
    if (!h) throw new ApiError(404, `no hand-off ${id}`)
    void this.deps.queue
      .enqueue(h.roomId, [{ mention: h.memberId, name: h.memberName }, text], { kind: 'owed', mergeable: false, because: 'person', after: this.deps.store.durable() })
      .then((r) => {
        if (!r.sent) this.deps.log.warn({ handoff: id, room: h.roomId, reason: r.reason }, 'a hand-off reply was not sent')
      })
    return this.view(h)
  }

  close(id: string, via: Via) {
    const h = this.inbox.close(id, via, this.deps.clock.now())
    if (!h) throw new ApiError(404, `no hand-off ${id}`)
    return this.view(h)
  }

  private view(h: Handoff) {
    return {
      id: h.id,
      group: h.group,
      roomId: h.roomId,
      roomTopic: h.roomTopic,
      memberId: h.memberId,
      memberName: h.memberName,
      text: h.text,
      reason: h.reason,
      reasonText: h.reasonText ?? h.reason,
      at: iso(this.deps, h.at),
      status: h.status,
      replies: h.replies.map((r) => ({ text: r.text, at: iso(this.deps, r.at), by: r.by })),
    }
  }
}
