/**
 * Tells a message seen by two accounts in the same room from two messages. Two accounts get
 * different message ids for the same message, so it is recognised by what it is (room, talker,
 * text) and when it was sent: the same key from ANOTHER account within `windowMs` of an earlier
 * one is that one again. The same account repeating itself (a member typing 签到 twice) is two
 * messages. Each earlier message matches at most one copy per other account.
 */
export class CrossAccountEcho {
  private readonly recent = new Map<string, Array<{ account: string; at: number; copies: Set<string> }>>()
  private lastPrune = 0

  constructor(private readonly windowMs: number) {}

  /** True the first time (handle it); false for another account's copy of it (drop it). */
  first(key: string, account: string, at: number, now: number): boolean {
    this.prune(now)
    const list = this.recent.get(key) ?? []
    const earlier = list.find((e) => e.account !== account && !e.copies.has(account) && Math.abs(e.at - at) <= this.windowMs)
    if (earlier) {
      earlier.copies.add(account)
      return false
    }
    list.push({ account, at, copies: new Set() })
    this.recent.set(key, list)
    return true
  }

  private prune(now: number): void {
    if (now - this.lastPrune < this.windowMs) return
    this.lastPrune = now
    for (const [key, list] of this.recent) {
      const kept = list.filter((e) => now - e.at <= 3 * this.windowMs)
      if (kept.length === 0) this.recent.delete(key)
      else this.recent.set(key, kept)
    }
  }
}
