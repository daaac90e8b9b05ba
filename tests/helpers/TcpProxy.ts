import { createServer, connect, type Server, type Socket } from 'node:net'
import { trackCloser } from './processRegistry.js'

/**
 * A TCP proxy on 127.0.0.1 in front of a server (PostgreSQL), to cut one client off it as a
 * network would: `cut()` is a partition — bytes stop flowing both ways on every open
 * connection and new connections are accepted but never answered (no reset: the client
 * finds out by its own timeouts, as across a real cut); `restore()` ends the partition for
 * new connections.
 */
export class TcpProxy {
  private readonly pairs = new Set<{ client: Socket; upstream?: Socket }>()
  private partitioned = false
  private untrack: (() => Promise<void>) | undefined

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  static async start(targetPort: number): Promise<TcpProxy> {
    const server = createServer()
    const port = await new Promise<number>((resolve, reject) => {
      server.once('error', reject)
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port))
    })
    const proxy = new TcpProxy(server, port)
    server.on('connection', (client) => proxy.accept(client, targetPort))
    proxy.untrack = trackCloser(`tcp proxy on ${port}`, () => proxy.stop())
    return proxy
  }

  /** The URL a client should use to reach `url`'s server through this proxy. */
  via(url: string): string {
    const u = new URL(url)
    u.port = String(this.port)
    return u.toString()
  }

  cut(): void {
    this.partitioned = true
    for (const p of this.pairs) {
      // nothing more is delivered either way; the sockets stay open, as a cut leaves them
      p.client.unpipe()
      p.upstream?.unpipe()
      p.client.pause()
      p.upstream?.pause()
    }
  }

  restore(): void {
    this.partitioned = false
  }

  async close(): Promise<void> {
    await (this.untrack ?? (() => this.stop()))()
  }

  private accept(client: Socket, targetPort: number): void {
    const pair: { client: Socket; upstream?: Socket } = { client }
    this.pairs.add(pair)
    client.on('error', () => {})
    client.on('close', () => {
      pair.upstream?.destroy()
      this.pairs.delete(pair)
    })
    if (this.partitioned) {
      client.pause() // accepted by the kernel, never answered
      return
    }
    const upstream = connect(targetPort, '127.0.0.1')
    pair.upstream = upstream
    upstream.on('error', () => client.destroy())
    upstream.on('close', () => client.destroy())
    client.pipe(upstream)
    upstream.pipe(client)
  }

  private async stop(): Promise<void> {
    for (const p of this.pairs) {
      p.client.destroy()
      p.upstream?.destroy()
    }
    this.pairs.clear()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }
}
