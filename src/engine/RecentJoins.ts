/** Who joined which room lately, so a repeated join event is recognised; a leave clears it. */
export class RecentJoins {
  private readonly seen = new Map<string, number>()

  constructor(private readonly windowMs: number) {}

  /** True the first time (within the window) a member joins a room. */
  firstJoin(roomId: string, memberId: string, now: number): boolean {
    const key = `${roomId}\n${memberId}`
    const at = this.seen.get(key)
    if (at !== undefined && now - at < this.windowMs) return false
    this.seen.set(key, now)
    if (this.seen.size > 50_000) this.prune(now)
    return true
  }

  get size(): number {
    return this.seen.size
  }

  left(roomId: string, memberId: string): void {
    this.seen.delete(`${roomId}\n${memberId}`)
  }

  /** Forget joins older than the window (the engine's sweep; also when the map grows large). */
  prune(now: number): void {
    for (const [k, at] of this.seen) if (now - at >= this.windowMs) this.seen.delete(k)
  }
}
