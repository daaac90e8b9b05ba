import OpenAI from 'openai'
import type { AiSettings } from '../config/schema.js'
import type { AiClient, AiQuestion } from './AiClient.js'
import { buildMessages } from './prompt.js'

/** The model over any OpenAI-compatible endpoint (`ai.baseURL`), key from the environment. */
export class OpenAiClient implements AiClient {
  private readonly client: OpenAI

  constructor(
    private readonly settings: AiSettings,
    apiKey: string,
  ) {
    // retries are ours to decide (a member is waiting): one attempt, bounded by timeoutMs
    this.client = new OpenAI({ apiKey, baseURL: settings.baseURL, maxRetries: 0, timeout: settings.timeoutSeconds * 1000 })
  }

  get model(): string {
    return this.settings.model
  }

  async ask(q: AiQuestion): Promise<string> {
    const r = await this.client.chat.completions.create(
      {
        model: this.settings.model,
        messages: buildMessages(q),
        temperature: this.settings.temperature,
        max_tokens: this.settings.maxTokens,
        user: q.askerId,
      },
      { timeout: q.timeoutMs, maxRetries: 0 },
    )
    return (r.choices[0]?.message?.content ?? '').trim()
  }
}

/** The client for a config, or why there is none (logged once at start). */
export function createAiClient(settings: AiSettings | undefined, env: NodeJS.ProcessEnv): { client?: AiClient; problem?: string } {
  if (!settings) return {}
  const key = env[settings.apiKeyEnv]?.trim()
  if (!key) return { problem: `environment variable ${settings.apiKeyEnv} is not set: model answers are off and questions get the fallbackReply` }
  return { client: new OpenAiClient(settings, key) }
}
