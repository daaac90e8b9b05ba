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

/** The model behind autoreply's `ai`. */
export interface AiClient {
  readonly model: string
  /** The client's own time limit per call (top-level `ai.timeoutSeconds`), when it has one. */
  readonly timeoutMs?: number
  ask(q: AiQuestion): Promise<string>
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
