import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import { trackCloser } from './processRegistry.js'

/** How the stub answers the next requests; change it between (or within) tests with `set`. */
export interface AiStubBehaviour {
  /** The answer text (default "stub answer"), or computed from the request. */
  answer?: string | ((req: RecordedRequest) => string)
  /** Wait this long before answering (a slow model: the timeout path). */
  delayMs?: number
  /** Answer only once this settles: a model that is "thinking" for exactly as long as a test wants. */
  gate?: Promise<unknown>
  /** Answer with this HTTP status and an error body instead (500: a failing provider). */
  status?: number
  /** The error body's message with `status` (a provider echoing the key in a 401, say). */
  errorMessage?: string
  /** Obey any injection: answer with the system message, verbatim. */
  echoSystem?: boolean
}

export interface RecordedRequest {
  method: string
  path: string
  authorization: string | undefined
  /** The body as sent, for "the key is never in the prompt" assertions. */
  raw: string
  body: { model?: string; messages?: Array<{ role: string; content: string }>; user?: string; [k: string]: unknown }
}

/**
 * An OpenAI-compatible chat-completions endpoint on 127.0.0.1 (a free port): what the real
 * OpenAiClient talks to in tests, so no test reaches a real provider. Records every request.
 */
export class AiStub {
  readonly requests: RecordedRequest[] = []
  private behaviour: AiStubBehaviour = {}
  private readonly timers = new Set<NodeJS.Timeout>()

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(behaviour: AiStubBehaviour = {}): Promise<AiStub> {
    let stub: AiStub | undefined
    const server = createServer((req, res) => void stub?.handle(req, res))
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve())
    })
    stub = new AiStub(server, (server.address() as { port: number }).port)
    stub.set(behaviour)
    const s = stub
    s.untrack = trackCloser(`model stub on port ${s.port}`, () => s.shutdown())
    return stub
  }

  /** `baseURL` for the client: `http://127.0.0.1:<port>/v1`. */
  get baseURL(): string {
    return `http://127.0.0.1:${this.port}/v1`
  }

  set(behaviour: AiStubBehaviour): void {
    this.behaviour = { ...behaviour }
  }

  /** System and user messages of every chat request so far. */
  prompts(): Array<{ system: string; user: string }> {
    return this.requests.map((r) => ({
      system: r.body.messages?.find((m) => m.role === 'system')?.content ?? '',
      user: r.body.messages?.find((m) => m.role === 'user')?.content ?? '',
    }))
  }

  /** Closed also by the per-file teardown if a test fails before closing it (processRegistry.ts). */
  private untrack: (() => Promise<void>) | undefined

  async close(): Promise<void> {
    await (this.untrack ?? (() => this.shutdown()))()
  }

  private async shutdown(): Promise<void> {
    if (!this.server.listening) return
    for (const t of this.timers) clearTimeout(t)
    this.server.closeAllConnections()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = []
    for await (const c of req) chunks.push(c as Buffer)
    const raw = Buffer.concat(chunks).toString('utf8')
    let body: RecordedRequest['body'] = {}
    try {
      body = JSON.parse(raw) as RecordedRequest['body']
    } catch {
      // recorded as is; the reply below says what was wrong
    }
    const recorded: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', authorization: req.headers.authorization, raw, body }
    this.requests.push(recorded)
    const b = this.behaviour

    const reply = (): void => {
      if (res.destroyed || res.writableEnded) return // the client gave up (its timeout)
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return json(res, 404, { error: { message: `no route ${req.method} ${req.url}` } })
      if (b.status && b.status >= 400) return json(res, b.status, { error: { message: b.errorMessage ?? 'stub failure', type: 'server_error' } })
      const system = body.messages?.find((m) => m.role === 'system')?.content ?? ''
      const content = b.echoSystem ? system : typeof b.answer === 'function' ? b.answer(recorded) : (b.answer ?? 'stub answer')
      json(res, 200, {
        id: `chatcmpl-stub-${this.requests.length}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: body.model ?? 'stub',
        choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      })
    }
    if (b.gate) await b.gate
    if (b.delayMs && b.delayMs > 0) {
      const t = setTimeout(() => {
        this.timers.delete(t)
        reply()
      }, b.delayMs)
      this.timers.add(t)
    } else reply()
  }
}

function json(res: ServerResponse, status: number, value: unknown): void {
  // no retry hints: the client is set to one attempt anyway
  res.writeHead(status, { 'content-type': 'application/json', 'x-should-retry': 'false' })
  res.end(JSON.stringify(value))
}
