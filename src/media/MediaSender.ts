import type { Logger } from 'pino'
import type { MediaItem } from '../send/Item.js'
import type { MediaOutcome } from '../send/SendQueue.js'
import type { MediaBudget } from './MediaBudget.js'
import { MediaUnavailable, type MediaLibrary, type PuppetMedia } from './MediaLibrary.js'
import type { MediaKind } from '../config/mediaSchema.js'

/** What one account's puppet does for media (WechatyRuntime). */
export interface MediaPuppet {
  send(conversationId: string, text: string, mentionIds: string[]): Promise<void>
  sendMedia(conversationId: string, media: PuppetMedia): Promise<void>
}

/**
 * A puppet that cannot send this kind says so: gRPC UNIMPLEMENTED, or in words. Anything else
 * (no connection, a timeout) is a failure the send queue retries or gives up on as for texts.
 */
export function refusedAsUnsupported(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | undefined
  if (e?.code === 12) return true
  return /not ?support|unsupported|not implemented|unimplemented|不支持/i.test(String(e?.message ?? err ?? ''))
}

/**
 * Sends one account's media items for its send queue (the queue's `sendMedia`): within the
 * account's daily budget per kind, as the config has the item now. What the account cannot
 * send — the puppet refuses the kind, the budget is spent, the item cannot be had (a fetch
 * failed, a file vanished) — goes as the item's `fallback` text, or is skipped (the queue
 * counts it); never a crash, never a card half made.
 */
export class MediaSender {
  constructor(
    private readonly o: {
      library: MediaLibrary
      budget: MediaBudget
      puppet: () => MediaPuppet
      log: Logger
    },
  ) {}

  left(kind: MediaKind): number {
    return this.o.budget.left(kind)
  }

  async send(conversationId: string, item: MediaItem): Promise<MediaOutcome> {
    const spec = this.o.library.spec(item.name)
    if (!spec) return { as: 'skipped', reason: `no media item "${item.name}" in the config now` }
    const unable = (reason: string): Promise<MediaOutcome> => this.fallback(conversationId, spec.fallback, reason)
    if (this.o.budget.left(spec.kind) <= 0) return unable(`today's ${spec.kind} budget (bot.rateLimit.perDay) is spent`)
    let media: PuppetMedia
    try {
      media = await this.o.library.resolve(item.name)
    } catch (err) {
      if (err instanceof MediaUnavailable) return unable(err.message)
      throw err
    }
    try {
      await this.o.puppet().sendMedia(conversationId, media)
    } catch (err) {
      if (refusedAsUnsupported(err)) return unable(`the account cannot send ${spec.kind}: ${String((err as Error)?.message ?? err)}`)
      throw err
    }
    this.o.budget.spend(spec.kind)
    return { as: 'media' }
  }

  private async fallback(conversationId: string, text: string | undefined, reason: string): Promise<MediaOutcome> {
    if (text === undefined) return { as: 'skipped', reason }
    await this.o.puppet().send(conversationId, text, [])
    return { as: 'fallback', reason }
  }
}
