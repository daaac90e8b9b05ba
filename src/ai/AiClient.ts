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
}

/** The model behind autoreply's `ai`. */
export interface AiClient {
  readonly model: string
  ask(q: AiQuestion): Promise<string>
}
