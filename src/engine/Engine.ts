import type { Logger } from 'pino'
import type { AiClient } from '../ai/AiClient.js'
import type { Clock, Timer } from '../clock/Clock.js'
import type { GroupConfig, LoadedConfig } from '../config/loadConfig.js'
import type { OutgoingQueue } from '../send/SendQueue.js'
import { Namespace, type Store } from '../store/Store.js'
import { ZonedTime } from '../time/ZonedTime.js'
import { AdminCommands } from './AdminCommands.js'
import type { DirectEvent, FriendshipEvent, MembersEvent, MessageEvent } from './events.js'
import { pointsBook, SkillContext, type ContextDeps, type SkillScope } from './SkillContext.js'
import type { Job } from './jobs.js'
import { JobRunner } from './JobRunner.js'
import { RecentJoins } from './RecentJoins.js'
import { RoomDirectory } from './RoomDirectory.js'
import type {
  GroupContext,
  IncomingText,
  JobContext,
  MessageKind,
  Member,
  MembersContext,
  MessageContext,
  RoomContext,
  RoomRef,
  Skill,
  StatCounter,
} from './Skill.js'
import { Stats } from './Stats.js'
import { TagBook } from '../members/TagBook.js'
import { MemberBook } from '../members/MemberBook.js'
import { Reconciler } from './members/Reconciler.js'
import { adoptExistingMembers } from '../members/upgrade.js'
import { compactStorage, forgetMember, type ForgetResult } from './members/forget.js'
import { handleForgetRequest, sweepForgetRequests } from './members/forgetRequest.js'
import type { MemberPoints, PointsBook } from '../members/PointsBook.js'
import { ActionGovernor } from '../send/ActionGovernor.js'
import type { SendKind } from '../send/Item.js'
import type { Segment } from '../text/Outgoing.js'
import { NO_ACTIONS, NotConnectedError, type ActionTarget, type PuppetActions } from './actions.js'
import { BRAND_SCOPE, type BrandContext, type BrandJobContext, type DirectContext, type FriendshipContext, type PointsChangedContext } from './Skill.js'

export interface EngineDeps {
  skills: readonly Skill<any>[]
  store: Store
  /** One SendQueue, or the AccountRouter's per-account queues (src/runtime/AccountRouter.ts). */
  queue: OutgoingQueue
  clock: Clock
  log: Logger
  ai?: AiClient
  /** Re-read the config file (for #reload); resolves to the problems, if any. */
  reload?: () => Promise<{ ok: boolean; problems: string[] }>
  /** Paces accepts, invites and removals (default: one on `bot.rateLimit`, reset on reload). */
  governor?: ActionGovernor
  /**
   * Compare rooms' member lists with the member record after a login and every
   * `bot.members.reconcileEvery` (default true; unit tests of other things turn it off and
   * call reconcileRoom themselves).
   */
  reconcile?: boolean
}

// the events the runtime hands over (their own file, so what the engine hands on need not import the Engine)
export type { DirectEvent, FriendshipEvent, MembersEvent, MessageEvent } from './events.js'

/** Longer texts are not read by skills (a paste, a flood): no trigger or question is that long. */
export const MAX_INCOMING_LENGTH = 4000

/** How often Engine.sweep deletes short-lived records that are over. */
export const SWEEP_EVERY_MS = 3_600_000

/**
 * The small core: routes each room event to the skills its group enables, in registry
 * order, with a context per call. A skill that throws is logged and skipped; the rest go on.
 * Callers deliver one room's events one at a time (see RoomSerializer).
 */
export class Engine {
  readonly rooms = new RoomDirectory()
  private config!: LoadedConfig
  private zoned!: ZonedTime
  /** The model client in use; replaced when a reload changes the top-level `ai` section. */
  private ai: AiClient | undefined
  readonly stats: Stats
  readonly jobs: JobRunner
  private readonly admin: AdminCommands
  private readonly background = new Set<Promise<unknown>>()
  private readonly skillsByName: Map<string, Skill<any>>
  private readonly scopes = new Map<string, SkillScope<unknown>>()
  /** Shared by every context; rebuilt when the config changes. */
  private deps_: ContextDeps | undefined
  private readonly recentJoins = new RecentJoins(10 * 60_000)
  private sweepTimer: Timer | undefined
  /** Tags per contact, brand-wide (`core/tags/`). */
  readonly tags: TagBook
  /** The member record, brand-wide (`core/members/`, CONTRACT §11). */
  readonly members: MemberBook
  /** Joins and leaves the puppet did not announce, found in the rooms' member lists. */
  readonly reconciler: Reconciler
  /** Paces what the bot does (accept, invite, remove) like the queue paces what it says. */
  readonly governor: ActionGovernor
  private puppetActions: PuppetActions = NO_ACTIONS
  /** What contexts get: the puppet's actions through the governor. */
  private readonly governed: PuppetActions
  private readonly ownGovernor: boolean

  private constructor(
    readonly deps: EngineDeps,
    core: Namespace,
  ) {
    this.ai = deps.ai
    this.skillsByName = new Map(deps.skills.map((s) => [s.name, s]))
    this.stats = new Stats(core.child('stats'), () => this.zoned, () => deps.clock.now())
    this.jobs = new JobRunner(core.child('jobs'), deps.clock, deps.log.child({ part: 'jobs' }), (job) => this.runJob(job))
    this.admin = new AdminCommands(this)
    this.members = new MemberBook(core.child('members'), {
      time: () => this.zoned,
      retainDays: () => this.config.bot.privacy.retainDays,
      now: () => deps.clock.now(),
    })
    this.reconciler = new Reconciler({
      book: this.members,
      clock: deps.clock,
      log: deps.log.child({ part: 'members' }),
      actions: () => this.puppetActions,
      rooms: () => this.config.groups.flatMap((g) => this.rooms.roomsOf(g.name)),
      room: (id) => this.rooms.get(id),
      groupOf: (room) => this.rooms.groupFor(room)?.name,
      every: () => this.config.bot.members.reconcileEvery,
      record: (ev, kind) => this.recordMembers(ev, kind),
    })
    // a tag taken away leaves a trace in the member's timeline (the TagBook keeps current tags)
    this.tags = new TagBook(core, (id, tag, mark) => this.members.noteUntag(id, tag, mark, deps.clock.now()))
    this.ownGovernor = !deps.governor
    this.governor = deps.governor ?? new ActionGovernor({ clock: deps.clock, limits: false, log: deps.log.child({ part: 'actions' }) })
    this.governed = {
      acceptFriendship: (id, via) => this.act({ kind: 'accept', friendshipId: id, account: via?.account }, () => this.puppetActions.acceptFriendship(id, via)),
      addToRoom: (roomId, contactId) => this.act({ kind: 'invite', roomId }, () => this.puppetActions.addToRoom(roomId, contactId)),
      removeFromRoom: (roomId, contactId) => this.act({ kind: 'remove', roomId }, () => this.puppetActions.removeFromRoom(roomId, contactId)),
      roomMemberIds: (roomId) => this.puppetActions.roomMemberIds(roomId),
      canAct: (target) => this.puppetActions.canAct?.(target) ?? true,
      roomMember: (roomId, contactId) => this.puppetActions.roomMember(roomId, contactId),
      ownIds: () => this.puppetActions.ownIds(),
    }
  }

  /** The runtime's puppet actions (wired once it exists). */
  setActions(actions: PuppetActions): void {
    this.puppetActions = actions
  }

  /**
   * An action through the governor — unless the account that must do it is away (logged out,
   * disconnected, this process not holding the lease): then it fails at once with
   * NotConnectedError, taking no turn, and the skill tries again when the account is back.
   * Asked again when its turn comes, as the account may have gone meanwhile.
   */
  private act(target: ActionTarget, run: () => Promise<void>): Promise<void> {
    const away = (): boolean => this.puppetActions.canAct?.(target) === false
    if (away()) return Promise.reject(new NotConnectedError(`the account that would ${target.kind} cannot act now`))
    return this.governor.run(target.kind, () => (away() ? Promise.reject(new NotConnectedError(`the account that would ${target.kind} went away`)) : run()))
  }

  /**
   * An account came back (a login) or a room changed hands: actions that waited for their
   * account (jobs planned with `wakeWhenOnline`) are tried now rather than at their next look.
   */
  actionsMayResume(): void {
    this.jobs.wakeWaiting()
  }

  /** Open the store slices of the core and of every skill, then apply the config. */
  static async create(deps: EngineDeps, config: LoadedConfig): Promise<Engine> {
    const core = await deps.store.open('core/')
    for (const s of deps.skills) await deps.store.open(`${s.name}/`)
    // points belong to the members (src/members): open their home even when checkin is not loaded
    await deps.store.open('checkin/')
    const engine = new Engine(deps, core)
    const adopted = adoptExistingMembers(engine.members, deps.store, deps.clock.now())
    if (adopted > 0) deps.log.info({ members: adopted }, 'member record started from the points and tags already kept')
    await engine.setConfig(config)
    // the pools' rank orders are built in the background, a member bucket per turn: a start
    // answers at once, and the first 积分榜 after it does not wait for a million rows
    for (const pool of new Set(config.groups.map((g) => engine.pointsPool(g.name)))) {
      engine.points(pool).warmRanks().catch((err: unknown) => deps.log.warn({ err, pool }, 'building the rank order failed; it is built when first asked'))
    }
    return engine
  }

  get currentConfig(): LoadedConfig {
    return this.config
  }

  get time(): ZonedTime {
    return this.zoned
  }

  get log(): Logger {
    return this.deps.log
  }

  /** Apply a (new) config: regroup rooms, run every skill's onStart, re-arm jobs. */
  async setConfig(config: LoadedConfig): Promise<void> {
    this.config = config
    this.zoned = new ZonedTime(config.bot.timezone)
    this.deps_ = undefined
    this.rooms.setGroups(config.groups)
    if (this.ownGovernor) this.governor.setLimits(config.bot.rateLimit)
    for (const group of config.groups) {
      for (const [name, skillConfig] of group.skills) {
        const skill = this.skillsByName.get(name)
        if (!skill?.onStart) continue
        try {
          await skill.onStart(this.groupContext(skill, group, skillConfig))
        } catch (err) {
          this.deps.log.error({ err, skill: name, group: group.name }, 'skill failed to start; it stays on for events')
        }
      }
    }
    this.jobs.armAll((skill, group) =>
      group === BRAND_SCOPE ? this.skillsByName.get(skill)?.onBrandJob !== undefined : (this.findGroup(group)?.skills.has(skill) ?? false),
    )
    this.sweep()
  }

  /**
   * Delete short-lived records that are over (Skill.sweep of every enabled skill, finished
   * jobs, recent joins): at start, after every reload, then every hour on the bot's clock.
   */
  sweep(): void {
    const now = this.deps.clock.now()
    this.recentJoins.prune(now)
    // the member record's retention rule (bot.privacy.retainDays)
    const kept = this.members.sweep(now)
    if (kept.deleted > 0) this.deps.log.info({ members: kept.deleted, retainDays: this.config.bot.privacy.retainDays }, 'member records deleted: left every group longer ago than retainDays')
    sweepForgetRequests(this, now)
    const jobs = this.jobs.sweep(now)
    if (jobs > 0) this.deps.log.debug({ jobs }, 'old job records removed')
    for (const group of this.config.groups) {
      for (const [name, config] of group.skills) {
        const skill = this.skillsByName.get(name)
        if (!skill?.sweep) continue
        try {
          skill.sweep(this.groupContext(skill, group, config))
        } catch (err) {
          this.deps.log.error({ err, skill: name, group: group.name }, 'skill failed to sweep its old records')
        }
      }
    }
    for (const skill of this.deps.skills) {
      if (!skill.sweepBrand) continue
      try {
        skill.sweepBrand(this.brandContext(skill))
      } catch (err) {
        this.deps.log.error({ err, skill: skill.name }, 'skill failed to sweep its old brand-wide records')
      }
    }
    this.sweepTimer?.cancel()
    this.sweepTimer = this.deps.clock.after(SWEEP_EVERY_MS, () => this.sweep())
  }

  /**
   * Every (skill, group) where the group enables a skill that defines `hook`, with the skill's
   * context for that group: what the member record's forget, export and timeline ask of skills.
   */
  enabledWith<K extends 'forgetMember' | 'exportMember' | 'memberTimeline'>(hook: K): Array<{ skill: Skill<any>; group: string; ctx: GroupContext<unknown> }> {
    const out: Array<{ skill: Skill<any>; group: string; ctx: GroupContext<unknown> }> = []
    for (const group of this.config.groups) {
      for (const [name, config] of group.skills) {
        const skill = this.skillsByName.get(name)
        if (skill?.[hook]) out.push({ skill, group: group.name, ctx: this.groupContext(skill, group, config) })
      }
    }
    return out
  }

  /** Joins remembered to recognise repeats (tests: they are forgotten after the window). */
  get recentJoinCount(): number {
    return this.recentJoins.size
  }

  setAi(client: AiClient | undefined): void {
    this.ai = client
    this.deps_ = undefined
  }

  /**
   * The runtime has loaded the rooms (after a login): jobs that fell due meanwhile may run
   * now, and each sees every room of its group. Until then they wait (and the 10-minute
   * lateness bound keeps counting).
   */
  markRoomsReady(): void {
    this.jobs.release()
    // called at every login: what waited for the account goes now
    this.jobs.wakeWaiting()
    if (this.deps.reconcile !== false) this.reconciler.start()
  }

  /** Compare one room's member list with the record now (see Reconciler). */
  reconcileRoom(roomId: string): ReturnType<Reconciler['reconcile']> {
    return this.reconciler.reconcile(roomId)
  }

  findGroup(name: string): GroupConfig | undefined {
    return this.config.groups.find((g) => g.name === name)
  }

  /** The point pool a group's members earn into: `checkin.pool`, else the group's name. */
  pointsPool(groupName: string): string {
    const checkin = this.findGroup(groupName)?.skills.get('checkin') as { pool?: string } | undefined
    return checkin?.pool ?? groupName
  }

  /** A pool's points as a skill sees them: a change runs onPointsChanged (rule tags follow), for the console. */
  points(pool: string): PointsBook {
    return pointsBook(this.deps.store, pool, (memberId, row) => this.pointsChanged(pool, memberId, row))
  }

  isAdmin(contactId: string): boolean {
    return this.config.bot.admins.includes(contactId)
  }

  async handleMessage(ev: MessageEvent): Promise<void> {
    this.rooms.upsert(ev.room)
    const group = this.rooms.groupFor(ev.room)
    if (!group) {
      this.deps.log.debug({ room: ev.room.id, topic: ev.room.topic }, 'message in a room no group matches; ignored')
      return
    }
    this.stats.count(group.name, ev.room.id, 'messages')
    // the member record: names seen, last message, today's count (the same commit as the stats)
    if (!this.puppetActions.ownIds().includes(ev.talker.id) && !this.members.noteMessage(group.name, ev.room, ev.talker, this.deps.clock.now())) {
      await this.unknownSpeaker(ev)
    }
    const kind = ev.message.kind ?? 'text'
    if (kind !== 'text') {
      if (!(await this.offerKind(group, ev, kind))) {
        this.deps.log.debug({ room: ev.room.id, kind: ev.message.card?.type ?? kind, group: group.name }, 'non-text message; ignored')
      }
      return
    }
    if ([...ev.message.text].length > MAX_INCOMING_LENGTH) {
      // no trigger is that long; skills taking `other` (guard) still see its beginning
      const cut = [...ev.message.text].slice(0, MAX_INCOMING_LENGTH).join('')
      const long = { ...ev, message: { ...ev.message, kind: 'other' as const, text: cut, textWithoutMentions: cut, card: { type: 'LongText' } } }
      if (!(await this.offerKind(group, long, 'other'))) {
        this.deps.log.debug({ room: ev.room.id, length: ev.message.text.length }, 'text too long for any trigger; ignored')
      }
      return
    }
    if (ev.message.text === '') {
      this.deps.log.debug({ room: ev.room.id }, 'empty text; ignored')
      return
    }
    // screening skills (guard) go before admin commands too: they exempt admins themselves
    if (await this.screen(group, ev)) return
    if (await this.admin.handle(group, ev)) return
    for (const [name, config] of group.skills) {
      const skill = this.skillsByName.get(name)
      if (!skill?.onMessage || skill.screen) continue
      try {
        const handled = await skill.onMessage(this.messageContext(skill, group, config, ev))
        if (handled === true) return
      } catch (err) {
        this.deps.log.error({ err, skill: name, group: group.name, room: ev.room.id }, 'skill failed on a message; skipped')
      }
    }
  }

  /**
   * Someone spoke whom the record does not have in this room: they joined and the puppet did
   * not say so (or left silently and came back). Once the room's list was read at least once,
   * that is a join found now (welcomed if it surely happened within 10 minutes); the room's
   * list is read soon in any case, for others who came in the same way.
   */
  private async unknownSpeaker(ev: MessageEvent): Promise<void> {
    if (this.deps.reconcile !== false) this.reconciler.request(ev.room.id)
    const from = this.members.listedAt(ev.room.id)
    if (from === undefined) return
    const memberCount = this.members.rooms().inRoom(ev.room.id).size + 2
    await this.recordMembers({ room: ev.room, members: [ev.talker], memberCount, found: { from } }, 'join')?.()
  }

  /** Screening skills (`screen`, guard) see a text before admin commands and the other skills. */
  private async screen(group: GroupConfig, ev: MessageEvent): Promise<boolean> {
    for (const [name, config] of group.skills) {
      const skill = this.skillsByName.get(name)
      if (!skill?.onMessage || !skill.screen) continue
      try {
        if ((await skill.onMessage(this.messageContext(skill, group, config, ev))) === true) return true
      } catch (err) {
        this.deps.log.error({ err, skill: name, group: group.name, room: ev.room.id }, 'skill failed on a message; skipped')
      }
    }
    return false
  }

  /** A card, image, overlong text...: only skills that list the kind in `kinds` see it. False: none takes it. */
  private async offerKind(group: GroupConfig, ev: MessageEvent, kind: MessageKind): Promise<boolean> {
    let offered = false
    for (const [name, config] of group.skills) {
      const skill = this.skillsByName.get(name)
      if (!skill?.onMessage || !skill.kinds?.includes(kind)) continue
      offered = true
      try {
        if ((await skill.onMessage(this.messageContext(skill, group, config, ev))) === true) return true
      } catch (err) {
        this.deps.log.error({ err, skill: name, group: group.name, room: ev.room.id, kind }, 'skill failed on a message; skipped')
      }
    }
    return offered
  }

  /** An image, file, card...: counted as a message seen, otherwise not for skills. */
  noteOther(room: RoomRef, kind: string): void {
    this.rooms.upsert(room)
    const group = this.rooms.groupFor(room)
    if (group) this.stats.count(group.name, room.id, 'messages')
    this.deps.log.debug({ room: room.id, kind, group: group?.name }, 'non-text message; ignored')
  }

  async handleJoin(ev: MembersEvent): Promise<void> {
    await this.handleMembers(ev, 'joins', 'onJoin')
  }

  async handleLeave(ev: MembersEvent): Promise<void> {
    await this.handleMembers(ev, 'leaves', 'onLeave')
  }

  private async handleMembers(raw: MembersEvent, counter: StatCounter, hook: 'onJoin' | 'onLeave'): Promise<void> {
    await this.recordMembers(raw, hook === 'onJoin' ? 'join' : 'leave')?.()
  }

  /**
   * Count and record joins or leaves (stats, the member record) synchronously — one commit —
   * and return how to run the skills' onJoin/onLeave for them (undefined: nothing new). Split
   * so that joins and leaves found by reconciling are recorded in the same turn as the member
   * list they were found in (src/engine/members/Reconciler.ts).
   */
  recordMembers(raw: MembersEvent, kind: 'join' | 'leave'): (() => Promise<void>) | undefined {
    const counter: StatCounter = kind === 'join' ? 'joins' : 'leaves'
    const hook = kind === 'join' ? 'onJoin' : 'onLeave'
    this.rooms.upsert(raw.room)
    const group = this.rooms.groupFor(raw.room)
    if (!group) return undefined
    // a join the puppet reports twice is one join (welcomed once, counted once)
    const now = this.deps.clock.now()
    let members = raw.members
    const book = this.members
    if (hook === 'onJoin') {
      members = members.filter((m) => {
        if (this.recentJoins.firstJoin(raw.room.id, m.id, now)) return true
        // a join found by reconciling and then announced: the announcement may name the inviter
        book.enrichJoin(raw.room.id, m.id, raw)
        return false
      })
    } else {
      // a leave found by reconciling and then announced (or announced twice) is one leave
      members = members.filter((m) => !book.isOut(raw.room.id, m.id))
      for (const m of members) this.recentJoins.left(raw.room.id, m.id)
    }
    if (members.length < raw.members.length) {
      this.deps.log.debug({ room: raw.room.id, repeated: raw.members.length - members.length, event: counter }, 'join or leave reported twice; counted once')
    }
    if (members.length === 0) return undefined
    this.deps.log.debug({ room: raw.room.id, group: group.name, event: counter, members: members.length, found: raw.found !== undefined }, 'members changed')
    const ev = { ...raw, members }
    this.stats.count(group.name, ev.room.id, counter, ev.members.length)
    // the member record, in the same turn (one commit with the stats and the skills' first writes)
    const change = { now, by: raw.by, byBot: raw.byBot, found: raw.found }
    for (const m of members) {
      if (hook === 'onJoin') book.noteJoin(group.name, ev.room, m, change)
      else book.noteLeave(group.name, ev.room, m, change)
    }
    return async () => {
      for (const [name, config] of group.skills) {
        const skill = this.skillsByName.get(name)
        const fn = skill?.[hook]
        if (!skill || !fn) continue
        try {
          await fn.call(skill, this.membersContext(skill, group, config, ev))
        } catch (err) {
          this.deps.log.error({ err, skill: name, group: group.name, room: ev.room.id }, `skill failed on ${counter}; skipped`)
        }
      }
    }
  }

  /**
   * A private text. It reaches only skills that define `onDirect` (a skill opts in), once per
   * group that enables the skill — registry order first, then groups in config order — and
   * the first `true` ends the chain. No such skill: ignored, as before.
   */
  async handleDirect(ev: DirectEvent): Promise<void> {
    const log = this.deps.log
    if ([...ev.message.text].length > MAX_INCOMING_LENGTH || ev.message.text === '') {
      log.debug({ contact: ev.contact.id }, 'direct message empty or too long; ignored')
      return
    }
    // 删除我的数据 → 确认删除: the member's own right, before any skill (CONTRACT §11)
    if (await handleForgetRequest(this, ev)) return
    let offered = false
    for (const skill of this.deps.skills) {
      if (!skill.onDirect) continue
      for (const group of this.config.groups) {
        const config = group.skills.get(skill.name)
        if (config === undefined) continue
        offered = true
        try {
          const ctx = this.context(skill, group, config, { contact: ev.contact, talker: ev.contact, message: ev.message }) as DirectContext<unknown>
          if ((await skill.onDirect(ctx)) === true) return
        } catch (err) {
          log.error({ err, skill: skill.name, group: group.name, contact: ev.contact.id }, 'skill failed on a direct message; skipped')
        }
      }
    }
    if (!offered) log.debug({ contact: ev.contact.id }, 'direct message; ignored (no skill takes private messages)')
    else log.debug({ contact: ev.contact.id }, 'direct message; no skill answered')
  }

  /** A friend request: every skill defining `onFriendship`, in registry order, brand-wide. */
  async handleFriendship(ev: FriendshipEvent): Promise<void> {
    let offered = false
    for (const skill of this.deps.skills) {
      if (!skill.onFriendship) continue
      offered = true
      try {
        const ctx = this.brandContext(skill, { contact: ev.contact, talker: ev.contact, friendshipId: ev.friendshipId, hello: ev.hello, account: ev.account }) as FriendshipContext
        if ((await skill.onFriendship(ctx)) === true) return
      } catch (err) {
        this.deps.log.error({ err, skill: skill.name, contact: ev.contact.id }, 'skill failed on a friend request; skipped')
      }
    }
    if (!offered) this.deps.log.debug({ contact: ev.contact.id }, 'friend request; ignored (no skill takes friend requests)')
  }

  /** The first skill of the group that keeps the contact out (Skill.keepsOut), and why. */
  keptOut(groupName: string, contactId: string): { skill: string; why: string } | undefined {
    const group = this.findGroup(groupName)
    if (!group) return undefined
    for (const [name, config] of group.skills) {
      const skill = this.skillsByName.get(name)
      if (!skill?.keepsOut) continue
      try {
        const why = skill.keepsOut(this.groupContext(skill, group, config), contactId)
        if (why !== undefined) return { skill: name, why }
      } catch (err) {
        this.deps.log.error({ err, skill: name, group: group.name, contact: contactId }, 'skill failed to say whether it keeps a contact out; taken as no')
      }
    }
    return undefined
  }

  /**
   * Which skill of the group other than `asking` takes the text as a command or trigger
   * (Skill.takes), or `commands` for a `#command` the bot knows (whoever types it).
   */
  takenBy(groupName: string, asking: string, text: string): string | undefined {
    if (this.admin.isCommand(text)) return 'commands'
    const group = this.findGroup(groupName)
    if (!group) return undefined
    for (const [name, config] of group.skills) {
      if (name === asking) continue
      const skill = this.skillsByName.get(name)
      try {
        if (skill?.takes?.(config, text)) return name
      } catch (err) {
        this.deps.log.error({ err, skill: name, group: group.name }, 'skill failed to say whether it takes a text; taken as no')
      }
    }
    return undefined
  }

  /** Points changed (synchronously, inside the handler that changed them): rule tags follow. */
  private pointsChanged(pool: string, memberId: string, row: MemberPoints): void {
    for (const skill of this.deps.skills) {
      if (!skill.onPointsChanged) continue
      try {
        skill.onPointsChanged(this.brandContext(skill, { change: { pool, memberId, row } }) as PointsChangedContext)
      } catch (err) {
        this.deps.log.error({ err, skill: skill.name, member: memberId }, 'skill failed on a change of points; skipped')
      }
    }
  }

  /**
   * A skill's text went out: in a room, it is the room's last bot message, which a leave
   * within the hour follows (churn: what drove them out). The text is kept only for
   * `scheduled` texts (operators' posts and reminders), never for replies that may name members.
   */
  private said(conversationId: string, skill: string, kind: SendKind, segments: readonly Segment[]): void {
    if (!this.rooms.get(conversationId)) return
    const text = kind === 'scheduled' ? segments.filter((s): s is string => typeof s === 'string').join('').trim().slice(0, 40) : undefined
    this.members.noteSaid(conversationId, { at: this.deps.clock.now(), skill, kind, ...(text ? { text } : {}) })
  }

  /** A brand-wide context: no group, no config; store `<skill>/brand/`, jobs of the brand. */
  brandContext<M>(skill: Skill<any, M>, event: Partial<SkillContext<undefined, M>> = {}): BrandContext<M> {
    const brand = { name: BRAND_SCOPE, skills: new Map(), index: -1 } as unknown as GroupConfig
    return this.context(skill, brand, undefined, event)
  }

  private async runJob(job: Job): Promise<void> {
    if (job.group === BRAND_SCOPE) {
      const skill = this.skillsByName.get(job.skill)
      if (!skill?.onBrandJob) {
        this.deps.log.warn({ job: job.id, skill: job.skill }, 'brand job fell due for a skill no longer loaded; skipped')
        return
      }
      await skill.onBrandJob(this.brandContext(skill, { job }) as BrandJobContext)
      return
    }
    const group = this.findGroup(job.group)
    const skill = this.skillsByName.get(job.skill)
    const config = group?.skills.get(job.skill)
    if (!group || !skill?.onJob || config === undefined) {
      this.deps.log.warn({ job: job.id, skill: job.skill, group: job.group }, 'job fell due for a skill or group no longer configured; skipped')
      return
    }
    await skill.onJob(this.jobContext(skill, group, config, job))
  }

  /**
   * Forget a member (CONTRACT §11): every record removed or made anonymous in one store commit
   * (src/engine/members/forget.ts), an audit line naming who asked (`by`: an admin's id, `console`,
   * `api`, `member`), then the data dir compacted so the old values are gone from it too.
   */
  async forget(contactId: string, by: string): Promise<ForgetResult> {
    const r = forgetMember(this, this.deps.store, contactId)
    this.deps.log.info({ audit: true, action: 'member forgotten', contact: contactId, anonymousId: r.anonymousId, by, removed: r.removed }, 'member forgotten')
    await compactStorage(this.deps.store)
    return r
  }

  /** Wait for background work (model calls) to finish, up to `ms`. */
  async settle(ms: number): Promise<void> {
    const all = Promise.allSettled([...this.background])
    await Promise.race([all, new Promise<void>((r) => setTimeout(r, ms).unref())])
  }

  stop(): void {
    this.sweepTimer?.cancel()
    this.reconciler.stop()
    this.jobs.stop()
    this.governor.close()
  }

  // ---- contexts -------------------------------------------------------------------------

  groupContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C): GroupContext<C, M> {
    return this.context(skill, group, config, {})
  }

  roomContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C, room: RoomRef): RoomContext<C, M> {
    return this.context(skill, group, config, { room })
  }

  messageContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C, ev: MessageEvent): MessageContext<C, M> {
    return this.context(skill, group, config, { room: ev.room, talker: ev.talker, message: ev.message })
  }

  membersContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C, ev: MembersEvent): MembersContext<C, M> {
    return this.context(skill, group, config, { room: ev.room, members: ev.members, memberCount: ev.memberCount, found: ev.found })
  }

  jobContext<C, M = unknown>(skill: Skill<C, M>, group: GroupConfig, config: C, job: Job): JobContext<C, M> {
    return this.context(skill, group, config, { job })
  }

  private context<C, M>(skill: Skill<C, M>, group: GroupConfig, config: C, event: Partial<SkillContext<C, M>>): SkillContext<C, M> {
    return Object.assign(new SkillContext<C, M>(this.scope(skill, group), config, this.contextDeps()), event)
  }

  /** One skill in one group: its logger, store slice, jobs and memory, made once. */
  private scope<M>(skill: Skill<any, M>, group: GroupConfig): SkillScope<M> {
    const key = `${skill.name}/${group.name}`
    let scope = this.scopes.get(key) as SkillScope<M> | undefined
    if (!scope) {
      const skillRoot = this.skillNs(skill.name)
      const brand = group.name === BRAND_SCOPE
      scope = {
        skill: skill.name,
        group: group.name,
        log: this.deps.log.child(brand ? { skill: skill.name } : { skill: skill.name, group: group.name }),
        store: brand ? skillRoot.child('brand') : skillRoot.child(`group:${group.name}`),
        skillRoot,
        jobs: this.jobs.planner(skill.name, group.name),
        memory: skill.memory?.() as M,
      }
      this.scopes.set(key, scope)
    }
    return scope
  }

  private contextDeps(): ContextDeps {
    this.deps_ ??= {
      bot: this.config.bot,
      clock: this.deps.clock,
      time: this.zoned,
      store: this.deps.store,
      queue: this.deps.queue,
      ai: this.ai,
      rooms: (group) => this.rooms.roomsOf(group),
      count: (group, roomId, counter, n) => this.stats.count(group, roomId, counter, n),
      pointsPool: (group) => this.pointsPool(group),
      tags: this.tags,
      roster: this.members,
      actions: this.governed,
      pointsChanged: (pool, memberId, row) => this.pointsChanged(pool, memberId, row),
      keptOut: (group, contactId) => this.keptOut(group, contactId),
      takenBy: (group, asking, text) => this.takenBy(group, asking, text),
      mediaKind: (name) => this.config.media.get(name)?.kind,
      said: (conversationId, skill, kind, segments) => this.said(conversationId, skill, kind, segments),
      background: (p) => {
        this.background.add(p)
        void p.finally(() => this.background.delete(p))
      },
    }
    return this.deps_
  }

  /** A skill's whole slice, `<skill>/` (opened in create()). */
  private skillNs(name: string): Namespace {
    return new Namespace(this.deps.store, `${name}/`)
  }
}
