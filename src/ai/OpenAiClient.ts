import OpenAI from 'openai'
import type { AiSettings } from '../config/schema.js'
import { AiError, type AiClient, type AiQuestion, type AiTask } from './AiClient.js'
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

  get timeoutMs(): number {
    return this.settings.timeoutSeconds * 1000
  }

  async ask(q: AiQuestion): Promise<string> {
    try {
      const r = await this.client.chat.completions.create(
        {
          model: this.settings.model,
          messages: buildMessages(q),
          temperature: this.settings.temperature,
          max_tokens: this.settings.maxTokens,
          user: q.askerId,
        },
        { timeout: q.timeoutMs, maxRetries: 0, signal: q.signal },
      )
      return (r.choices[0]?.message?.content ?? '').trim()
    } catch (err) {
      throw this.safeError(err)
    }
  }

  async complete(task: AiTask): Promise<string> {
    try {
      const r = await this.client.chat.completions.create(
        {
          model: this.settings.model,
          messages: [
            { role: 'system', content: task.system },
            { role: 'user', content: task.user },
          ],
          temperature: this.settings.temperature,
          max_tokens: task.maxTokens,
          user: task.userId,
        },
        { timeout: task.timeoutMs, maxRetries: 0 },
      )
      return (r.choices[0]?.message?.content ?? '').trim()
    } catch (err) {
      throw this.safeError(err)
    }
  }

  /**
   * The SDK's errors carry response headers and bodies, and a provider may echo (part of)
   * the key in a 401 message: callers log errors, so they only ever see this short form.
   */
  private safeError(err: unknown): AiError {
    const timedOut = err instanceof OpenAI.APIConnectionTimeoutError || err instanceof OpenAI.APIUserAbortError
    const status = err instanceof OpenAI.APIError && typeof err.status === 'number' ? err.status : undefined
    const name = err instanceof Error ? err.constructor.name : 'Error'
    const raw = err instanceof Error ? err.message : String(err)
    const key = this.client.apiKey
    const message = (key ? raw.split(key).join('[redacted]') : raw).replace(/\b(sk-|Bearer\s+)\S+/g, '$1[redacted]').slice(0, 300)
    return new AiError(`${name}: ${message}`, timedOut, status)
  }
}

/** The client for a config, or why there is none (logged once at start). */
export function createAiClient(settings: AiSettings | undefined, env: NodeJS.ProcessEnv): { client?: AiClient; problem?: string } {
  if (!settings) return {}
  const key = env[settings.apiKeyEnv]?.trim()
  if (!key) return { problem: `environment variable ${settings.apiKeyEnv} is not set: model answers are off and questions get the fallbackReply` }
  return { client: new OpenAiClient(settings, key) }
}
