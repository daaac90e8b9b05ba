/**
 * An action (accept, invite, removal) was not done because the account that must do it cannot
 * act now: logged out, disconnected, away during a takeover's grace period, this process not
 * holding the lease, or the bot shutting down. Not a refusal by WeChat: the skill keeps what
 * it owes (durably) and tries again when the account is back — as texts wait while the puppet
 * is away. Here, beside the ActionGovernor that rejects with it at shutdown; skills reach it
 * through src/engine/actions.ts.
 */
export class NotConnectedError extends Error {
  readonly notConnected = true
  constructor(reason: string) {
    super(reason)
    this.name = 'NotConnectedError'
  }
}

/** Was an action not done for want of a serving account (NotConnectedError), rather than refused? */
export function isNotConnected(err: unknown): boolean {
  return (err as { notConnected?: unknown } | undefined)?.notConnected === true
}
