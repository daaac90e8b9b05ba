import type { z } from 'zod'
import type { Logger } from 'pino'
import type { Clock } from '../clock/Clock.js'
import type { BotSettings } from '../config/schema.js'
import type { CheckReport, SchemaEnv, SkillConfigSpec } from '../config/skillSpec.js'
import type { Namespace } from '../store/Store.js'
import type { EnqueueOptions } from '../send/Item.js'
import type { Sayable, Segment } from '../text/Outgoing.js'
import type { Template, TemplateValue } from '../text/template.js'
import type { ZonedTime } from '../time/ZonedTime.js'
import type { AiClient } from '../ai/AiClient.js'
import type { Job, JobPlanner } from './jobs.js'
import type { PointsBook } from '../members/PointsBook.js'
import type { TagBook } from '../members/TagBook.js'
import type { MemberPoints } from '../members/PointsBook.js'
import type { Member, RoomRef } from '../members/refs.js'
import type { PuppetActions } from './actions.js'
import type { MediaKind } from '../config/mediaSchema.js'
import type { MemberDirectory } from '../members/MemberDirectory.js'

// a member (contact id and display name) and a room, as everything refers to them
export type { Member, RoomRef } from '../members/refs.js'

/**
 * What a skill says with every text (see src/send/Item.ts and docs/send-queue.md). `kind` is
 * required — `owed` (a confirmation of something stored: merges, never dropped), `info`
 * (anything that can be asked again: give it a `coalesce` key) or `scheduled` (a reminder) —
 * and an owed text stays mergeable unless a named reason (`because`) keeps it apart.
 * `tag` is this skill's and group's (`ctx.withdraw`); `after` replaces the store's
 * `durable()` (it must include it: a text that must not go out late gives up at its deadline
 * when the disk keeps failing).
 */
export type SendOptions = EnqueueOptions

/** Daily counters shown by `#stats`. */
export type StatCounter =
  | 'messages'
  | 'joins'
  | 'leaves'
  | 'checkins'
  | 'answeredByRules'
  | 'answeredByModel'
  | 'handedOff'
  /** A rule both answered and handed off (counted in answeredByRules and handedOff too). */
  | 'answeredAndHandedOff'
  /** Informational replies dropped in a rush (not sent within 2 minutes, or over the room's bound). */
  | 'repliesDropped'
  /** Media items sent as their fallback text (the account could not send the kind, the day's budget was spent, a fetch failed). */
  | 'mediaFallbacks'
  /** Media items not sent at all (as above, and no fallback text). */
  | 'mediaSkipped'

/** The config's `media:` as skills see it (CONTRACT §10). */
export interface MediaDesk {
  /** The kind of an item (undefined: the config has no such item now). */
  kindOf(name: string): MediaKind | undefined
  /**
   * How many more of a kind may go out today through the account serving this room (its
   * `bot.rateLimit.perDay` budget, less those already waiting); Infinity without limits.
   */
  left(roomId: string, kind: MediaKind): number
}

/** What every handler gets: its group, its config, its storage, the clock, a logger. */
export interface GroupContext<C, M = unknown> {
  readonly skill: string
  /**
   * This skill's working memory for this group (not durable): pending batches, timers.
   * Made by the skill's `memory()` factory the first time it is needed.
   */
  readonly memory: M
  readonly group: { readonly name: string }
  readonly config: C
  readonly bot: BotSettings
  readonly clock: Clock
  readonly time: ZonedTime
  readonly log: Logger
  /** This skill's slice of the store for this group: `<skill>/group:<name>/`. */
  readonly store: Namespace
  /** This skill's slice for a named pool shared by groups: `<skill>/pool:<name>/`. */
  pool(name: string): Namespace
  /**
   * The brand's points in a pool (default: this group's checkin pool, `checkin.pool` or the
   * group's name). Points belong to the members, not to one skill: checkin earns them, the
   * shop spends them, gate and tags read them.
   */
  points(pool?: string): PointsBook
  /** This group's point pool's name (what `points()` uses by default). */
  readonly pointsPool: string
  /** Tags per contact id, brand-wide (CONTRACT §4). */
  readonly tags: TagBook
  /**
   * The member record, brand-wide (CONTRACT §11, src/members/): joins and leaves per room,
   * who invited them, names seen, last message, messages per day. Kept by the engine; skills
   * read it (and gate tells it which keyword an invite came from). `ctx.members` is another
   * thing: who joined or left, on join and leave contexts.
   */
  readonly roster: MemberDirectory
  readonly jobs: JobPlanner
  /**
   * Accept a friend request, invite into a room, remove from one, read a room's members.
   * What changes something is paced by the ActionGovernor (jitter, limits) and may wait. It
   * rejects with NotConnectedError (`isNotConnected(err)`, src/engine/actions.ts) when the
   * account that must do it is away (logged out, cut off, a takeover's grace, no lease): no
   * refusal — keep it owed in a durable job planned with `wakeWhenOnline` (AWAY_RETRY_MS).
   */
  readonly actions: PuppetActions
  /** The model behind autoreply, when `ai` is configured. */
  readonly ai: AiClient | undefined
  /** The config's media items and today's budgets (replies send them by `{ media }` in a template). */
  readonly media: MediaDesk
  /** Rooms of this group the bot is in (known once logged in: jobs run only after that). */
  rooms(): RoomRef[]
  /**
   * Whether a skill this group enables keeps the contact out of the group (guard's blacklist),
   * asked through each skill's `keepsOut`: gate does not invite them. Which skill and why
   * (for the log; never shown to the contact).
   */
  keptOut(contactId: string): { skill: string; why: string } | undefined
  /**
   * Who takes this text (a whole room text, trimmed) as a command or a trigger: another skill
   * of this group that enables it (its `takes`), or `commands` for a `#command` the bot knows.
   * Undefined for conversation. guard asks it so a member repeating `签到` or `兑换 sample`
   * is not striking for `repeat`.
   */
  takenBy(text: string): string | undefined
  /** Say in a room of this group, after everything stored so far is on disk. */
  sayIn(roomId: string, what: Sayable, options: SendOptions): Promise<void>
  /** Resolves when everything stored so far is on disk (say/sayIn already wait for it). */
  durable(): Promise<void>
  /**
   * Withdraw this skill's texts for this group (or for `group`, another group's) that carry
   * `tag` and still wait in the send queue (`#live cancel`; a cancelled order's code, queued
   * by the order's group). A text already handed to the puppet is not withdrawn. Returns how many.
   */
  withdraw(tag: string, group?: string): number
  /** A private message to a contact (the admins' hand-off), through the same queue. */
  tell(contactId: string, what: Sayable, options: SendOptions): Promise<void>
  render(t: Template, vars: Readonly<Record<string, TemplateValue | undefined>>): Segment[]
  count(counter: StatCounter, n?: number, roomId?: string): void
  /** Keep work going after the handler returned (a model call); errors are logged. */
  background(what: string, work: Promise<unknown>): void
}

/** A handler for something that happened in one room. */
export interface RoomContext<C, M = unknown> extends GroupContext<C, M> {
  readonly room: RoomRef
  /** Say in this room. */
  say(what: Sayable, options: SendOptions): Promise<void>
}

/**
 * What a room message is. Texts reach every skill; the other kinds (link cards, mini-program
 * cards, name cards, WeChat's group-note / 接龙 message, images and the rest) reach only
 * skills that list the kind in `kinds`. A `groupNote` carries the text the puppet gives for it
 * (empty when it gives none).
 */
export type MessageKind = 'text' | 'url' | 'miniProgram' | 'contact' | 'groupNote' | 'other'

/** What a card holds (read from the puppet); only the fields its kind has are set. */
export interface CardDetails {
  /** The puppet's type name: `Url`, `MiniProgram`, `Contact`, `Image`, `LongText`... */
  type: string
  url?: string
  title?: string
  description?: string
  /** A mini-program's app id. */
  appId?: string
  /** A name card's contact. */
  contactId?: string
  contactName?: string
}

export interface IncomingText {
  /** What the message is (absent: `text`). Cards have an empty `text` and their `card`. */
  kind?: MessageKind
  card?: CardDetails
  id: string
  /** The whole text, trimmed. */
  text: string
  /** The text with @mentions removed, trimmed. */
  textWithoutMentions: string
  mentionsBot: boolean
  /** Contact ids the message @-mentions, the bot excluded (`#tag add @member …`). */
  mentionIds: string[]
  date: number
}

export interface MessageContext<C, M = unknown> extends RoomContext<C, M> {
  readonly talker: Member
  readonly message: IncomingText
}

export interface MembersContext<C, M = unknown> extends RoomContext<C, M> {
  /** Who joined or left (never the bot itself). */
  readonly members: readonly Member[]
  /** Members in the room after the change. */
  readonly memberCount: number
  /**
   * Set when the puppet did not announce the change and the bot found it by comparing the
   * room's member list (at start, periodically, or when an unknown member spoke): it happened
   * between `from` (unknown if absent) and now. A welcome for a join found long after it
   * happened would be odd: see the welcome skill.
   */
  readonly found?: { from?: number }
}

export interface CommandContext<C, M = unknown> extends MessageContext<C, M> {
  /** Words after the command name. */
  readonly args: readonly string[]
  /** Text after the command name, as typed. */
  readonly rest: string
  /** Reply with this command's usage line. */
  usage(problem?: string): Promise<void>
}

export interface JobContext<C, M = unknown> extends GroupContext<C, M> {
  readonly job: Job
}

/**
 * A private text from a contact (no room). It reaches the skills that define `onDirect`, once
 * for each group that enables them (the group's config and store), registry order first,
 * groups in config order; the first handler that returns `true` ends the chain.
 */
export interface DirectContext<C, M = unknown> extends GroupContext<C, M> {
  readonly contact: Member
  /** The same as `contact` (what message handlers are used to). */
  readonly talker: Member
  readonly message: IncomingText
  /** Say privately to the contact, through the send queue. */
  reply(what: Sayable, options: SendOptions): Promise<void>
}

/**
 * The group name brand-wide contexts carry: friend requests and changes of points belong to
 * no group (no config can name a group so: group names are not empty).
 */
export const BRAND_SCOPE = ''

/**
 * Brand-wide events: no group and no group config (brand settings are in `ctx.bot`). The
 * store slice is `<skill>/brand/`; `points()` needs a pool name.
 */
export type BrandContext<M = unknown> = Omit<GroupContext<undefined, M>, 'config'>

/** A friend request (好友申请), brand-wide: every skill defining `onFriendship`, in registry order. */
export interface FriendshipContext<M = unknown> extends BrandContext<M> {
  readonly contact: Member
  readonly talker: Member
  readonly friendshipId: string
  /** The request's hello text (验证消息). */
  readonly hello: string
  /**
   * The account that received it (several accounts): only that one can accept it. Keep it
   * with a request that waits (perDay) and pass it to `actions.acceptFriendship`.
   */
  readonly account?: string
  /** Accept it, paced by the ActionGovernor, through the account that received it. */
  accept(): Promise<void>
}

/** A member's points in a pool changed (check-in, redemption, adjustment). */
export interface PointsChange {
  pool: string
  memberId: string
  row: MemberPoints
}

export interface PointsChangedContext<M = unknown> extends BrandContext<M> {
  readonly change: PointsChange
}

export interface BrandJobContext<M = unknown> extends BrandContext<M> {
  readonly job: Job
}

export interface CommandSpec<C, M = unknown> {
  usage: string
  run(ctx: CommandContext<C, M>): void | Promise<void>
}

// what the config reads of a skill is the config's (a skill is checked before any engine runs)
export type { CalendarEntry, CheckReport, SchemaEnv } from '../config/skillSpec.js'
import type { CalendarEntry } from '../config/skillSpec.js'

/**
 * What other parts of the bot let a skill declare next to its chat behaviour. Each part adds
 * its field here by declaration merging, from its own folder (as Koishi's services extend
 * its Context), so the engine imports none of them and never reads these fields:
 * - `console` — the skill's section of the operator console (src/console/extensions.ts).
 */
export interface SkillExtensions {}

/**
 * A skill: one folder in `skills/`, one exported definition. The core routes each event of a
 * room to the skills its group enables, in the registry's order; the first message handler
 * that returns `true` ends the chain. Handlers read and write `ctx.store` synchronously and
 * never await between reading a value and writing it back.
 */
export interface Skill<C = unknown, M = unknown> extends SkillConfigSpec<C>, SkillExtensions {
  name: string
  /** One line for `npm run check` and the JSON Schema. */
  description: string
  /** Defaults, types and error messages in one place. */
  config: z.ZodType<C> | ((env: SchemaEnv) => z.ZodType<C>)
  /** A fresh working memory for one group (see GroupContext.memory). */
  memory?(): M
  /** Checks that need more than the schema (warnings, cross-field rules). */
  check?(config: C, report: CheckReport, env: SchemaEnv): void
  /** Lines for `npm run check`'s summary (upcoming lives...). */
  summary?(config: C, env: SchemaEnv): string[]
  /**
   * What the skill has on the group's calendar in [from, to) (posts, lives): from the config
   * alone (`npm run check`'s next 7 days), or with the group's state when `ctx` is given (the
   * console's content calendar: lives added in chat, posts added in the console).
   */
  calendar?(config: C, env: SchemaEnv, from: number, to: number, ctx?: GroupContext<C, M>): CalendarEntry[]
  /** At start and after every config reload, once per group that enables the skill. */
  onStart?(ctx: GroupContext<C, M>): void | Promise<void>
  onMessage?(ctx: MessageContext<C, M>): boolean | void | Promise<boolean | void>
  /**
   * Message kinds `onMessage` takes besides texts (opt-in: without it a skill sees texts only).
   * A text longer than the engine reads for triggers reaches these skills as `other`.
   */
  kinds?: readonly MessageKind[]
  /**
   * A screening skill (guard): it sees every text before admin commands and before every
   * skill that is no screen, so what it stops (returns `true` for) gets no other answer.
   */
  screen?: boolean
  onJoin?(ctx: MembersContext<C, M>): void | Promise<void>
  onLeave?(ctx: MembersContext<C, M>): void | Promise<void>
  /**
   * This skill keeps the contact out of this group (guard: removed and blacklisted): why, in a
   * few words for the log, else undefined. Synchronous and side-effect free; other skills ask
   * it through `ctx.keptOut` (gate before an invite) without knowing this skill's records.
   */
  keepsOut?(ctx: GroupContext<C, M>, contactId: string): string | undefined
  /**
   * True when `text` (a whole room text, trimmed) is one of this skill's member triggers: what
   * its onMessage answers as a request rather than as conversation (`签到`, `兑换 sample`,
   * `积分商城`). Pure — the config and the text only — and kept in step with onMessage by
   * sharing its matching. Other skills ask it through `ctx.takenBy`. Keyword answers
   * (autoreply) are no triggers: an ad may contain a keyword.
   */
  takes?(config: C, text: string): boolean
  /** Admin commands by name (`#live ...` is `live`). Only `bot.admins` reach them. */
  commands?: Record<string, CommandSpec<C, M>>
  /** A planned job fell due (see ctx.jobs). */
  onJob?(ctx: JobContext<C, M>): void | Promise<void>
  /** A private text (opt-in: without this handler, private messages never reach the skill). */
  onDirect?(ctx: DirectContext<C, M>): boolean | void | Promise<boolean | void>
  /** A friend request, brand-wide; `true` ends the chain. */
  onFriendship?(ctx: FriendshipContext<M>): boolean | void | Promise<boolean | void>
  /**
   * Points changed (brand-wide). Synchronous and called inside the handler that changed them,
   * so what it writes is stored together with the change.
   */
  onPointsChanged?(ctx: PointsChangedContext<M>): void
  /** A job planned from a brand-wide context (`ctx.jobs` there) fell due. */
  onBrandJob?(ctx: BrandJobContext<M>): void | Promise<void>
  /**
   * Delete this skill's short-lived records that are over (quotas, cooldowns, pending
   * batches, records of past events), so the data dir does not grow with time: only ledgers
   * and daily stats may. Synchronous; once per group that enables the skill, at start, after
   * every reload and every hour (Engine.sweep). Must be harmless to call at any time.
   */
  sweep?(ctx: GroupContext<C, M>): void
  /**
   * `sweep` for what the skill keeps brand-wide (`<skill>/brand/`: friend requests seen...),
   * once per skill whether or not a group enables it, at the same times.
   */
  sweepBrand?(ctx: BrandContext<M>): void
  /**
   * Forget a member (CONTRACT §11: `#forget`, `DELETE /api/members/<id>`, 删除我的数据): remove
   * every record of this contact the skill keeps for this group — or rewrite it under
   * `anonymousId` where a total others depend on must stay (a pool's points, an order's
   * stock). Synchronous: it is one store commit with the rest of the forget, never half-done.
   * Called once per group that enables the skill (pools shared by groups: make it idempotent).
   */
  forgetMember?(ctx: GroupContext<C, M>, contactId: string, anonymousId: string): void
  /** Everything the skill keeps about the contact in this group (JSON), for `GET /api/members/<id>/export`. */
  exportMember?(ctx: GroupContext<C, M>, contactId: string): unknown
  /**
   * The member's moments the skill keeps (the shop's orders, guard's strikes…) for their
   * timeline (CONTRACT §11), read from the skill's own records when the timeline is shown:
   * the timeline is composed, never a second copy that could disagree.
   */
  memberTimeline?(ctx: GroupContext<C, M>, contactId: string): MemberMoment[]
}

/** One moment of a member's timeline, as a skill reports it (the group is the context's). */
export interface MemberMoment {
  at: number
  /** One word: `order`, `strike`, `removal`, `subscribe`… */
  kind: string
  /** For people, Chinese first. */
  detail: string
}

/** Identity, for type inference of the config and memory types. */
export function defineSkill<C, M = unknown>(skill: Skill<C, M>): Skill<C, M> {
  return skill
}
