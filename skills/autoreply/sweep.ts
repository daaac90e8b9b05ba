import type { GroupContext } from '../../src/engine/Skill.js'
import type { AutoreplySettings } from './config.js'
import { sweepQuotas } from './modelAnswer.js'

/**
 * autoreply's short-lived records (Skill.sweep): the per-member model quotas
 * (`asked/…`, see modelAnswer.ts) and the per-room rule cooldowns (`cooldown/<room>/<rule>`).
 * A cooldown is over once its rule's cooldownSeconds have passed, or when no rule of this
 * config has that key any more (edited or removed); a time in the future (the clock stepped
 * back) silences nothing and goes too.
 */
export function sweepAutoreply(ctx: GroupContext<AutoreplySettings>): void {
  const now = ctx.clock.now()
  sweepQuotas(ctx.store, now)
  const cooldownOf = new Map(ctx.config.rules.map((r) => [r.key, r.cooldownMs]))
  for (const [key, last] of ctx.store.entries<number>('cooldown/', false)) {
    const ms = cooldownOf.get(key.slice(key.lastIndexOf('/') + 1))
    if (ms === undefined || last > now || now - last >= ms) ctx.store.delete(key)
  }
}
