import { NotConnectedError, type PuppetActions } from '../engine/actions.js'

/**
 * The lease fences what the bot does as it fences what it says: while `mayAct()` is false
 * (PostgreSQL: this process's lease could have expired, so a standby may hold it by now) no
 * accept, invite or removal reaches WeChat. It is not refused either — NotConnectedError —
 * so the skill keeps it owed; a process that lost its lease exits and the new active does it.
 * Reading a room's members (or the bot's own ids) is not fenced: it changes nothing.
 */
export function fenceActions(actions: PuppetActions, mayAct: () => boolean): PuppetActions {
  const fenced = <A extends unknown[]>(run: (...args: A) => Promise<void>) =>
    (...args: A): Promise<void> => (mayAct() ? run(...args) : Promise.reject(new NotConnectedError('not acting: this process does not hold the lease')))
  return {
    acceptFriendship: fenced((id, via) => actions.acceptFriendship(id, via)),
    addToRoom: fenced((roomId, contactId) => actions.addToRoom(roomId, contactId)),
    removeFromRoom: fenced((roomId, contactId) => actions.removeFromRoom(roomId, contactId)),
    roomMemberIds: (roomId) => actions.roomMemberIds(roomId),
    roomMember: (roomId, contactId) => actions.roomMember(roomId, contactId),
    ownIds: () => actions.ownIds(),
    canAct: (target) => mayAct() && (actions.canAct?.(target) ?? true),
  }
}
