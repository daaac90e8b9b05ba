import { textLength, type Segment } from '../text/Outgoing.js'
import type { MediaKind } from '../config/mediaSchema.js'

/**
 * What a text is, as the skill declares it when it says something. The send queue orders,
 * merges, coalesces and drops by this, so no skill needs special cases for a rush.
 *
 * - `owed`: the confirmation of something stored (a check-in, a subscription, a redemption,
 *   an admin's change). Never dropped for being late, never behind an informational reply.
 * - `info`: an informational reply (the live list, the leaderboard, a keyword answer, 我的积分).
 *   The same reply already waiting for a room is not queued again (see `Coalesce`); one that
 *   could not go out within 2 minutes is dropped.
 * - `scheduled`: a reminder or a live's start message. Like `owed` it is never dropped for
 *   being late here (its own 10-minute rule lives with the skill's durable state), and it
 *   goes out at most once: after an ambiguous send error it is not retried.
 */
export type SendKind = 'owed' | 'info' | 'scheduled'

/** Someone who asked for an informational reply: @-ed when several asked for the same one. */
export interface Asker {
  id: string
  name: string
}

export interface Coalesce {
  /** Equal keys in one room are the same reply (`live:list`, `checkin:me:<member>`). */
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

export interface EnqueueOptions {
  /** Wait for this before sending (the store's durability of what the text confirms). */
  after?: Promise<unknown>
  /** Default `owed`: a text that says nothing about itself is never dropped for being late. */
  kind?: SendKind
  /** Only for `info`: the same reply waiting for this room takes the asker instead. */
  coalesce?: Coalesce
  /** A label to withdraw waiting texts by (`SendQueue.withdraw`), e.g. `live:<ref>`. */
  tag?: string
  /**
   * Never retried after a send that WeChat may have taken (a timeout). Default: `scheduled`
   * texts and any with `beforeSend` (which records "possibly delivered" before the call).
   */
  atMostOnce?: boolean
  mergeable?: boolean
  beforeSend?: () => Promise<void>
  onSent?: () => void
  onDropped?: (reason: string) => void
  /** Send this media item instead of a text (the segments are empty): one message, never merged. */
  media?: MediaItem
}

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
    this.kind = options.kind ?? 'owed'
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
