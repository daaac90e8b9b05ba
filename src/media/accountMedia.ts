import type { Logger } from 'pino'
import type { Clock } from '../clock/Clock.js'
import type { BotSettings } from '../config/schema.js'
import type { Transport } from '../send/SendQueue.js'
import type { Namespace } from '../store/Store.js'
import { ZonedTime } from '../time/ZonedTime.js'
import { MediaBudget } from './MediaBudget.js'
import type { MediaLibrary } from './MediaLibrary.js'
import { MediaSender, type MediaPuppet } from './MediaSender.js'

export interface AccountMediaOptions {
  library: MediaLibrary
  /** `core/media-budget/` */
  budgets: Namespace
  account: string
  /** The bot settings now (limits and time zone follow a reload). */
  bot: () => BotSettings
  clock: Clock
  log: Logger
  /** The account's runtime (made after its queue). */
  puppet: () => MediaPuppet
  /** False while this process may not send (PostgreSQL: its lease could have expired). */
  maySend?: () => boolean
}

/**
 * The media half of one account's send-queue transport: its MediaSender with the account's
 * own daily budget (`bot.rateLimit.perDay`, per account as WeChat counts them).
 */
export function accountMedia(o: AccountMediaOptions): Required<Pick<Transport, 'sendMedia' | 'mediaBudgetLeft'>> {
  let zone: ZonedTime | undefined
  const today = (): string => {
    const tz = o.bot().timezone
    if (zone?.zone !== tz) zone = new ZonedTime(tz)
    return zone.dayKey(o.clock.now())
  }
  const budget = new MediaBudget(o.budgets, o.account, () => {
    const r = o.bot().rateLimit
    return r ? r.perDay : undefined
  }, today)
  const sender = new MediaSender({ library: o.library, budget, puppet: o.puppet, log: o.log })
  return {
    sendMedia: (to, item) => (o.maySend?.() === false ? Promise.reject(new Error('not sending: lease not held')) : sender.send(to, item)),
    mediaBudgetLeft: (kind) => sender.left(kind),
  }
}
