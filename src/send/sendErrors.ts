/**
 * Did the puppet possibly take a text whose send call failed? A timeout or a dropped
 * connection after the request went out (gRPC DEADLINE_EXCEEDED, CANCELLED, UNKNOWN,
 * INTERNAL, UNAVAILABLE "Connection dropped", ECONNRESET, "socket hang up") leaves it open:
 * WeChat may have posted the text. A refusal (not logged in, no connection established,
 * INVALID_ARGUMENT, a plain error from the puppet) means it was not sent.
 *
 * Texts that must go out at most once (reminders) are not retried after such an error.
 */
const NEVER_LEFT = /not logged in|no connection established|ECONNREFUSED|failed to connect|connection refused|getaddrinfo|ENOTFOUND/i
const GRPC_UNKNOWN_OUTCOME = new Set([
  1, // CANCELLED
  2, // UNKNOWN
  4, // DEADLINE_EXCEEDED
  13, // INTERNAL
  14, // UNAVAILABLE: a connection dropped mid-call (one never made is caught by NEVER_LEFT)
])
const UNKNOWN_OUTCOME_TEXT = /DEADLINE_EXCEEDED|CANCELLED|timed? ?out|ETIMEDOUT|ECONNRESET|EPIPE|socket hang up|connection dropped/i

export function outcomeUnknown(err: unknown): boolean {
  const e = err as { message?: unknown; code?: unknown } | undefined
  const message = String(e?.message ?? err ?? '')
  if (NEVER_LEFT.test(message)) return false
  if (typeof e?.code === 'number') return GRPC_UNKNOWN_OUTCOME.has(e.code)
  if (typeof e?.code === 'string' && /^(ETIMEDOUT|ECONNRESET|EPIPE|ECONNABORTED)$/.test(e.code)) return true
  return UNKNOWN_OUTCOME_TEXT.test(message)
}
