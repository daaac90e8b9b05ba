import type { Logger } from 'pino'
import type { Clock, Timer } from '../../clock/Clock.js'
import type { PuppetActions, RoomMemberInfo } from '../actions.js'
import type { MembersEvent } from '../events.js'
import type { Member, RoomRef } from '../Skill.js'
import type { MemberBook } from '../../members/MemberBook.js'

export interface ReconcilerDeps {
  book: MemberBook
  clock: Clock
  log: Logger
  /** The puppet's reads (not paced by the ActionGovernor: they change nothing; paced here). */
  actions: () => Pick<PuppetActions, 'roomMemberIds' | 'roomMember' | 'ownIds'>
  /** Every room of every group (the rooms to compare). */
  rooms: () => RoomRef[]
  room: (id: string) => RoomRef | undefined
  /** The group a room belongs to now (undefined: none; the bot is silent there). */
  groupOf: (room: RoomRef) => string | undefined
  /** `bot.members.reconcileEvery` (ms; 0: only at start and on request). */
  every: () => number
  /** Record found joins or leaves (stats, the record) now; returns the skills' hooks to run. */
  record: (ev: MembersEvent, kind: 'join' | 'leave') => (() => Promise<void>) | undefined
  /** Pause between two member-list reads, drawn in [min, max] ms (default 1–2 s). */
  gapMs?: [number, number]
  random?: () => number
}

/** Names looked up per room and read (the rest keep their id as a name until they speak or the next read). */
export const NAME_LOOKUPS_PER_READ = 30

/**
 * Joins and leaves the puppet does not announce (pad puppets miss `room-join` for some QR-code
 * joins, wechaty/puppet-padlocal#246; leaves are often silent): each room's member list is
 * read and compared with the record — after every login, every `bot.members.reconcileEvery`,
 * and soon after an unknown member speaks — one room at a time with a pause between reads (a
 * brand has hundreds of rooms; a burst of reads is what gets accounts flagged).
 *
 * What it finds is recorded like an event, marked found, with the window it happened in
 * (`from`: the room's previous read). The first read of a room records who is there without
 * counting anyone as joined. The comparison is applied synchronously after the reads, and
 * dropped (read again later) when a join or leave of the room was handled while the list was
 * being read: an event is never overwritten by an older list. A list that drops more than a
 * fifth of a room at once (at least 5) is applied only when the next read says the same: a
 * puppet's truncated answer must not "remove" a room.
 */
export class Reconciler {
  private readonly queue: string[] = []
  private readonly queued = new Set<string>()
  private pumpTimer: Timer | undefined
  private passTimer: Timer | undefined
  private busy: Promise<void> | undefined
  private lastRead = -Infinity
  private nextGap = 0
  private stopped = false
  private started = false
  /** Per room: members a read said were gone, held until the next read confirms. */
  private readonly unconfirmed = new Map<string, Set<string>>()

  constructor(private readonly d: ReconcilerDeps) {}

  /** After a login: every room soon, then every `reconcileEvery`. Idempotent. */
  start(): void {
    if (this.stopped) return
    this.enqueueAll()
    if (!this.started) {
      this.started = true
      this.armPass()
    }
  }

  /** Compare this room soon (before the rooms of a pass). */
  request(roomId: string): void {
    if (this.stopped || this.queued.has(roomId)) return
    this.queued.add(roomId)
    this.queue.unshift(roomId)
    this.pump()
  }

  stop(): void {
    this.stopped = true
    this.pumpTimer?.cancel()
    this.passTimer?.cancel()
  }

  /** Resolves when no read is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.busy) await this.busy
  }

  get waiting(): number {
    return this.queue.length
  }

  /**
   * Read one room's member list and record what differs. Resolves to what was found
   * (`undefined`: not compared — unknown room, failed read, or an event came in meanwhile).
   */
  async reconcile(roomId: string): Promise<{ joined: string[]; left: string[]; present: number; held: number } | undefined> {
    const d = this.d
    const room = d.room(roomId)
    const group = room && d.groupOf(room)
    if (!room || !group) return undefined
    const book = d.book
    const version = book.roomVersion(roomId)
    const actions = d.actions()
    let ids: string[]
    try {
      ids = await actions.roomMemberIds(roomId)
    } catch (err) {
      d.log.warn({ err, room: roomId }, 'could not read a room’s member list; compared later')
      return undefined
    }
    const own = new Set(actions.ownIds())
    // a list without the bot is not this room as the bot sees it (not loaded, or the bot was removed)
    if (own.size === 0 || !ids.some((id) => own.has(id))) {
      d.log.debug({ room: roomId, members: ids.length }, 'member list without the bot; not compared')
      return undefined
    }
    const listed = new Set(ids.filter((id) => !own.has(id)))
    const known = book.rooms().inRoom(roomId)
    const newIds = [...listed].filter((id) => !known.has(id))
    // names: for the newcomers, and a few of those still known only by their id
    const nameless = [...listed].filter((id) => known.has(id) && (book.get(id)?.name ?? id) === id).slice(0, NAME_LOOKUPS_PER_READ)
    const lookups = [...newIds.slice(0, NAME_LOOKUPS_PER_READ), ...nameless]
    const infos = new Map<string, RoomMemberInfo>()
    for (const id of lookups) {
      const info = await actions.roomMember(roomId, id).catch(() => undefined)
      if (info) infos.set(id, info)
    }
    if (book.roomVersion(roomId) !== version) {
      d.log.debug({ room: roomId }, 'a join or leave came in while the member list was read; compared again later')
      this.later(roomId)
      return undefined
    }
    // from here on synchronous: read, compare and record in one turn (one store commit)
    return this.apply(room, group, listed, infos)
  }

  private apply(room: RoomRef, group: string, listed: ReadonlySet<string>, infos: ReadonlyMap<string, RoomMemberInfo>) {
    const { book, clock, log } = this.d
    const now = clock.now()
    const from = book.listedAt(room.id)
    const known = book.rooms().inRoom(room.id)
    const asMember = (id: string): Member => {
      const i = infos.get(id)
      return i ? { id, name: i.name, ...(i.nick ? { nick: i.nick } : {}), ...(i.alias ? { alias: i.alias } : {}) } : { id, name: book.get(id)?.name ?? id }
    }
    for (const [id, info] of infos) if (known.has(id)) book.noteNames(asMember(info.id), now)

    const newIds = [...listed].filter((id) => !known.has(id))
    const gone = [...known].filter((id) => !listed.has(id))
    // a large drop at once waits for the next read to say the same
    const before = this.unconfirmed.get(room.id)
    let leaving = gone
    let held = 0
    if (gone.length >= 5 && gone.length > known.size / 5) {
      leaving = gone.filter((id) => before?.has(id))
      held = gone.length - leaving.length
      if (held > 0) {
        this.unconfirmed.set(room.id, new Set(gone))
        log.warn({ room: room.id, gone: gone.length, known: known.size }, 'a member list drops many members at once; applied only if the next read says the same')
        this.later(room.id)
      }
    }
    if (held === 0) this.unconfirmed.delete(room.id)

    const hooks: Array<() => Promise<void>> = []
    let present = 0
    if (from === undefined) {
      // the first read of this room: who is there was there before the bot looked (no joins)
      present = newIds.length
      book.notePresent(group, room, newIds.map(asMember), now)
    } else if (newIds.length > 0) {
      // one event per inviter the puppet named (QR-code joins), the rest together
      const byInviter = new Map<string | undefined, Member[]>()
      for (const id of newIds) {
        const inviter = infos.get(id)?.inviterId
        const by = inviter && !this.d.actions().ownIds().includes(inviter) ? inviter : undefined
        byInviter.set(by, [...(byInviter.get(by) ?? []), asMember(id)])
      }
      for (const [by, members] of byInviter) {
        const run = this.d.record({ room, members, memberCount: listed.size, found: { from }, ...(by ? { by } : {}) }, 'join')
        if (run) hooks.push(run)
      }
    }
    if (leaving.length > 0) {
      const run = this.d.record({ room, members: leaving.map(asMember), memberCount: listed.size, found: { from } }, 'leave')
      if (run) hooks.push(run)
    }
    book.noteListed(room.id, now, listed.size)
    const joined = from === undefined ? [] : newIds
    if (joined.length + leaving.length > 0 || present > 0) {
      log.info({ room: room.id, joined: joined.length, left: leaving.length, present, held, since: from }, 'member list compared: joins and leaves the puppet did not announce recorded')
    }
    // the skills' hooks (welcome…) after the record is written
    const done = (async () => {
      for (const run of hooks) await run()
    })()
    return done.then(() => ({ joined, left: leaving, present, held }))
  }

  private enqueueAll(): void {
    const rooms = this.d.rooms()
    // rooms never read first (a new room, the upgrade), then the longest unread
    const order = rooms
      .map((r) => ({ id: r.id, at: this.d.book.listedAt(r.id) ?? -Infinity }))
      .sort((a, b) => a.at - b.at)
    for (const { id } of order) {
      if (this.queued.has(id)) continue
      this.queued.add(id)
      this.queue.push(id)
    }
    this.pump()
  }

  private armPass(): void {
    const every = this.d.every()
    this.passTimer?.cancel()
    if (this.stopped) return
    // with no period, look again in a minute whether one was configured (a reload)
    this.passTimer = this.d.clock.after(every > 0 ? every : 60_000, () => {
      if (this.d.every() > 0) this.enqueueAll()
      this.armPass()
    })
  }

  /** Read the room again at the next pass, or in a minute without passes. */
  private later(roomId: string): void {
    if (this.d.every() > 0) return
    this.d.clock.after(60_000, () => this.request(roomId))
  }

  private pump(): void {
    if (this.stopped || this.busy || this.pumpTimer) return
    const next = this.queue[0]
    if (next === undefined) return
    const now = this.d.clock.now()
    const at = this.lastRead + this.nextGap
    if (at > now) {
      this.pumpTimer = this.d.clock.after(at - now, () => {
        this.pumpTimer = undefined
        this.pump()
      })
      return
    }
    this.queue.shift()
    this.queued.delete(next)
    this.lastRead = now
    const [min, max] = this.d.gapMs ?? [1000, 2000]
    this.nextGap = min + (this.d.random ?? Math.random)() * (max - min)
    this.busy = this.reconcile(next)
      .catch((err: unknown) => this.d.log.error({ err, room: next }, 'comparing a room’s member list failed'))
      .then(() => {
        this.busy = undefined
        this.pump()
      })
  }
}
