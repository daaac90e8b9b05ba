/** One question to the model. */
export interface AiQuestion {
  /** The operator's instructions (systemPrompt) — never the config's secrets. */
  instructions: string
  /** Reference text the answer must come from (the knowledge file). */
  knowledge?: string
  question: string
  /** Who asks (a stable pseudonymous id, for the provider's abuse tracking). */
  askerId: string
  timeoutMs: number
  /** Abort the call (the asker gave up waiting: autoreply's own deadline). */
  signal?: AbortSignal
}

/**
 * A task of the bot's own (the digest's summary of the day), not a member's question: the
 * caller writes the system message and the data, and fences the data itself.
 */
export interface AiTask {
  system: string
  user: string
  /** The reply's limit (max_tokens). */
  maxTokens: number
  timeoutMs: number
  /** A stable pseudonymous id for the provider's abuse tracking (e.g. `digest:<group>`). */
  userId: string
}

/** The model behind autoreply's `ai`. */
export interface AiClient {
  readonly model: string
  /** The client's own time limit per call (top-level `ai.timeoutSeconds`), when it has one. */
  readonly timeoutMs?: number
  ask(q: AiQuestion): Promise<string>
  /** A task of the bot's own (AiTask). Optional: a client without it gives no summaries. */
  complete?(task: AiTask): Promise<string>
}

/** A failed model call, safe to log: a short message, no key, no headers, no bodies. */
export class AiError extends Error {
  constructor(
    message: string,
    readonly timedOut: boolean,
    readonly status?: number,
  ) {
    super(message)
    this.name = 'AiError'
  }
}
