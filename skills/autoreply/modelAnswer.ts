import { createHash } from 'node:crypto'
import { AiError, type AiClient } from '../../src/ai/AiClient.js'
import type { MessageContext } from '../../src/engine/Skill.js'
import type { Namespace } from '../../src/store/Store.js'
import { clip, MAX_TEXT_LENGTH, textLength } from '../../src/text/Outgoing.js'
import type { AiPart, AutoreplySettings } from './config.js'
import { handOff, mentionOf, type HandoffReason } from './handoff.js'

/** When neither autoreply.ai nor the top-level ai sets a time limit. */
export const DEFAULT_TIMEOUT_MS = 20_000
const HOUR_MS = 3_600_000

/**
 * Take one of the member's model questions for the last hour (a sliding window). Kept in the
 * store, so a restart does not hand out a fresh allowance. Synchronous read-modify-write.
 */
export function takeQuota(store: Namespace, memberId: string, now: number, perHour: number): boolean {
  let allowed = false
  store.table<number[]>('asked').update(memberId, (old) => {
    const recent = (old ?? []).filter((t) => t > now - HOUR_MS && t <= now)
    if (recent.length < perHour) {
      allowed = true
      recent.push(now)
    }
    return recent.length > 0 ? recent : undefined
  })
  return allowed
}

/** Drop the quota rows with no question left in the last hour (Skill.sweep): one row per asker otherwise stays forever. */
export function sweepQuotas(store: Namespace, now: number): void {
  const table = store.table<number[]>('asked')
  const over: string[] = []
  table.forEach((memberId, asked) => {
    if (!asked.some((t) => t > now - HOUR_MS && t <= now)) over.push(memberId)
  })
  for (const id of over) table.delete(id)
}

/**
 * A question for the model. Decided here, synchronously (the handler then returns `true` and
 * the room goes on); the call itself runs in the background. Every way it can end answers
 * the member: the model's answer, or the fallbackReply plus the admins' hand-off.
 */
export function askModel(
  ctx: MessageContext<AutoreplySettings>,
  ai: AiPart,
  question: string,
  knowledge: Promise<string | undefined> | undefined,
): void {
  ctx.log.info({ room: ctx.room.id, member: ctx.talker.id, question }, 'question for the model')
  const client = ctx.ai
  if (!client) return handOff(ctx, question, 'model-off')
  if (!takeQuota(ctx.store, ctx.talker.id, ctx.clock.now(), ai.perMemberPerHour)) return handOff(ctx, question, 'over-limit')
  if (ai.knowledge && !knowledge) return handOff(ctx, question, 'knowledge-unavailable')
  ctx.background('autoreply: model answer', answer(ctx, client, ai, question, knowledge))
}

async function answer(
  ctx: MessageContext<AutoreplySettings>,
  client: AiClient,
  ai: AiPart,
  question: string,
  knowledge: Promise<string | undefined> | undefined,
): Promise<void> {
  const outcome = await callModel(ctx, client, ai, question, knowledge)
  if (typeof outcome !== 'string') return handOff(ctx, question, outcome.reason)
  const mention = mentionOf(ctx.talker)
  const text = clip(outcome, MAX_TEXT_LENGTH - textLength([mention]))
  ctx.count('answeredByModel')
  ctx.log.info({ room: ctx.room.id, member: ctx.talker.id, length: [...text].length }, 'model answered')
  // not awaited: the send queue owns delivery (and its retries); this work is done
  void ctx.say([mention, text], { kind: 'info' }).catch((err: unknown) => ctx.log.error({ err, room: ctx.room.id }, 'model answer not sent'))
}

/** The model's answer, or why there is none. Never throws. */
async function callModel(
  ctx: MessageContext<AutoreplySettings>,
  client: AiClient,
  ai: AiPart,
  question: string,
  knowledgePending: Promise<string | undefined> | undefined,
): Promise<string | { reason: HandoffReason }> {
  const log = ctx.log.child({ room: ctx.room.id, member: ctx.talker.id })
  const knowledge = knowledgePending ? await knowledgePending : undefined
  if (ai.knowledge && knowledge === undefined) return { reason: 'knowledge-unavailable' }

  const timeoutMs = ai.timeoutSeconds !== undefined ? ai.timeoutSeconds * 1000 : (client.timeoutMs ?? DEFAULT_TIMEOUT_MS)
  // our own deadline, on the engine's clock: a client that ignores its timeout or the signal
  // still cannot keep a member waiting
  const deadline = new AbortController()
  const timer = ctx.clock.after(timeoutMs, () => deadline.abort())
  let answer: string
  try {
    answer = await Promise.race([
      client.ask({
        instructions: ai.systemPrompt,
        knowledge,
        question,
        askerId: pseudonym(ctx.talker.id),
        timeoutMs,
        signal: deadline.signal,
      }),
      rejectOnAbort(deadline.signal, timeoutMs),
    ])
  } catch (err) {
    const timedOut = deadline.signal.aborted || (err instanceof AiError && err.timedOut)
    // AiError is made safe to log by the client; anything else is reduced to its message
    log.warn({ err: err instanceof AiError ? err : String((err as Error)?.message ?? err).slice(0, 300), timedOut, timeoutMs }, 'the model did not answer')
    return { reason: timedOut ? 'timeout' : 'error' }
  } finally {
    timer.cancel()
  }

  const trimmed = answer.trim()
  if (trimmed === '') {
    log.warn('the model gave an empty answer')
    return { reason: 'empty-answer' }
  }
  const leaked = ai.guard.leak(trimmed)
  if (leaked !== undefined) {
    log.warn({ quotedLength: [...leaked].length }, 'the model’s answer quotes its instructions (prompt injection?); not sent')
    return { reason: 'guard-refused' }
  }
  return trimmed
}

function rejectOnAbort(signal: AbortSignal, timeoutMs: number): Promise<never> {
  return new Promise((_, reject) => {
    signal.addEventListener('abort', () => reject(new AiError(`no answer within ${timeoutMs} ms`, true)), { once: true })
  })
}

/** A stable id for the provider's abuse tracking that is not the member's WeChat id. */
function pseudonym(memberId: string): string {
  return createHash('sha256').update(`siyu-asker:${memberId}`).digest('hex').slice(0, 24)
}
