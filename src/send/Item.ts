import { textLength, type Segment } from '../text/Outgoing.js'
import type { MediaKind } from '../config/mediaSchema.js'

/**
 * What a text is, as the skill declares it when it says something. The send queue orders,
 * merges, coalesces and drops by this, so no skill needs special cases for a rush. There is
 * no default: every say names its kind (a compile error otherwise), by this rule (CONTRACT §1):
 *
 * - `owed`: the confirmation of something stored — a check-in, a subscription, a redemption,
 *   an admin's change, a strike's warning, a welcome, a note to the admins about something
 *   stored. Never dropped for being late, never behind an informational reply, and **always
 *   mergeable**: a confirmation is one line among others, so a backlogged room's confirmations
 *   go out together. Only a named reason keeps one apart (`AloneReason`).
 * - `info`: everything a member or an admin can ask for again — a list, a catalog, the
 *   leaderboard, 我的积分 / 我的兑换 / 我的标签, "already checked in", an unknown item, a refusal,
 *   a keyword or model answer, `#stats`, `#help`, a usage line. Give it a `coalesce` key: the
 *   same reply already waiting for the conversation is not queued again, the later askers are
 *   @-ed in it (a key per room), or a member's repeats are one reply (the member's id in the
 *   key — what a reply that shows the asker's name or points needs). One not sent within
 *   2 minutes is dropped and counted (`#stats`).
 * - `scheduled`: a reminder or a live's start message. Like `owed` it is never dropped for
 *   being late here (its own 10-minute rule lives with the skill's durable state), it merges
 *   unless a reason keeps it apart, and it goes out at most once: after an ambiguous send
 *   error it is not retried.
 */
export type SendKind = 'owed' | 'info' | 'scheduled'

/**
 * Why an owed or scheduled text goes out as a message of its own instead of merging with its
 * neighbours. An unmergeable owed text costs a whole message of the room's minute and stops
 * the confirmations behind it from merging past it, so each reason is named here, not a bare
 * `mergeable: false`. Add one only with a reason a newcomer can read.
 */
export const ALONE_REASONS = {
  /** A private code (the shop's coupon): its own message, easy to copy, and marked delivered when exactly that message went out. */
  code: 'a code sent privately, delivered as a message of its own',
  /** One part of a text split at WeChat's 20 @mentions per message (a welcome, a live's start): merging would undo the split. */
  mentions: 'one part of a text split at the @mentions one message may carry',
  /** Words a person typed (an operator's reply from the console): sent as written, never glued to the bot's texts. */
  person: 'words a person typed, sent as they were written',
  /** One part of a long list split to fit a message (a chain's final list, a digest, the silent members): merging would undo the split. */
  list: 'one part of a long list split to fit one message',
} as const
export type AloneReason = keyof typeof ALONE_REASONS

/** Someone who asked for an informational reply: @-ed when several asked for the same one. */
export interface Asker {
  id: string
  name: string
}

export interface Coalesce {
  /** Equal keys in one conversation are the same reply (`live:list`, `checkin:me:<member>`). */
  key: string
  /** Who asked. When more than one asked for the waiting reply, every asker is @-ed in it. */
  asker?: Asker
}

/** Why a text was not sent. `media`: a media item the account could not send and that has no fallback text. */
export type DropCause = 'expired' | 'full' | 'shutdown' | 'failed' | 'ambiguous' | 'not-stored' | 'withdrawn' | 'media'

export interface SendResult {
  sent: boolean
  reason?: string
  cause?: DropCause
  /** This caller's text was coalesced into another caller's (it is counted there). */
  coalesced?: boolean
  /** A media item that went out as its fallback text (why in `reason`). */
  fallback?: boolean
}

/** A media item of `media:` (CONTRACT §10): its own message, never merged into a text. */
export interface MediaItem {
  name: string
  kind: MediaKind
}

/** What every kind may carry. */
interface CommonOptions {
  /** Wait for this before sending (the store's durability of what the text confirms). */
  after?: Promise<unknown>
  /** A label to withdraw waiting texts by (`SendQueue.withdraw`), e.g. `live:<ref>`. */
  tag?: string
  /**
   * Never retried after a send that WeChat may have taken (a timeout). Default: `scheduled`
   * texts and any with `beforeSend` (which records "possibly delivered" before the call).
   */
  atMostOnce?: boolean
  /** Called just before the text goes to the puppet (awaited): record "sending" durably. */
  beforeSend?: () => Promise<void>
  /** Called once the puppet accepted the text. */
  onSent?: () => void
  /** Called when the text was given up on (shutdown, expired, withdrawn, failed every retry). */
  onDropped?: (reason: string) => void
  /** Send this media item instead of a text (the segments are empty): one message, never merged. */
  media?: MediaItem
}

/** An owed or scheduled text merges with its neighbours, unless a named reason keeps it apart. */
type MergesUnlessNamed = { mergeable?: true; because?: never } | { mergeable: false; because: AloneReason }

/**
 * An informational reply may merge (a short answer fills a message of confirmations) or stand
 * alone (a list); one that stands alone costs a whole message each time it goes out, so it
 * must coalesce.
 */
type InfoMerging = { mergeable?: true; coalesce?: Coalesce } | { mergeable: false; coalesce: Coalesce }

export type OwedOptions = CommonOptions & { kind: 'owed'; coalesce?: never } & MergesUnlessNamed
export type ScheduledOptions = CommonOptions & { kind: 'scheduled'; coalesce?: never } & MergesUnlessNamed
export type InfoOptions = CommonOptions & { kind: 'info'; because?: never } & InfoMerging

/** What a caller passes with a text. `kind` is required: see `SendKind`. */
export type EnqueueOptions = OwedOptions | InfoOptions | ScheduledOptions

/** One caller waiting on an item (the first, and every asker coalesced into it). */
interface Waiter {
  options: EnqueueOptions
  resolve: (r: SendResult) => void
  coalesced: boolean
}

/** At most this many askers are @-ed by name in a coalesced reply; the rest are counted. */
export const MAX_ASKERS_NAMED = 20

/** A text waiting in the queue. */
export class Item {
  readonly kind: SendKind
  readonly mergeable: boolean
  readonly atMostOnce: boolean
  readonly key: string | undefined
  readonly askers: Asker[] = []
  readonly waiters: Waiter[]
  /** Rendered length (with the askers' mentions): what it costs in a merged message. */
  length: number
  ready: boolean

  constructor(
    private readonly base: readonly Segment[],
    readonly options: EnqueueOptions,
    resolve: (r: SendResult) => void,
    readonly enqueuedAt: number,
    /** Informational replies are dropped at this instant; the others never. */
    readonly deadline: number,
  ) {
    this.kind = options.kind
    this.mergeable = options.mergeable !== false && !options.media
    this.atMostOnce = options.atMostOnce ?? (this.kind === 'scheduled' || options.beforeSend !== undefined)
    this.key = this.kind === 'info' ? options.coalesce?.key : undefined
    if (options.coalesce?.asker) this.askers.push(options.coalesce.asker)
    this.waiters = [{ options, resolve, coalesced: false }]
    this.ready = !options.after
    this.length = textLength(this.segments())
  }

  /** Another asker for the same reply: no new text, one more name in this one. Returns the length change. */
  join(options: EnqueueOptions, resolve: (r: SendResult) => void): number {
    this.waiters.push({ options, resolve, coalesced: true })
    const asker = options.coalesce?.asker
    if (!asker || this.askers.some((a) => a.id === asker.id)) return 0
    this.askers.push(asker)
    const before = this.length
    this.length = textLength(this.segments())
    return this.length - before
  }

  /** The text as it goes out: a reply several asked for @s them first. */
  segments(): Segment[] {
    if (this.askers.length < 2) return [...this.base]
    const named = this.askers.slice(0, MAX_ASKERS_NAMED)
    const out: Segment[] = named.map((a) => ({ mention: a.id, name: a.name }))
    if (this.askers.length > named.length) out.push(`等 ${this.askers.length} 人 `)
    return [...out, ...this.base]
  }

  finish(result: SendResult): void {
    for (const w of this.waiters) {
      if (result.sent) w.options.onSent?.()
      else w.options.onDropped?.(result.reason ?? 'not sent')
      w.resolve(w.coalesced ? { ...result, coalesced: true } : result)
    }
  }
}
