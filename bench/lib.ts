import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PuppetMock, mock } from 'wechaty-puppet-mock'

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

export function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!
}

export async function tempDir(prefix: string): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix))
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) }
}

export const fmt = (n: number, digits = 1): string =>
  Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits }) : '—'

/**
 * A simulated WeChat for a bench: rooms full of members, and a clock on every reply. Texts a
 * member sends are stamped per room in order; the bot's replies in a room are matched to them
 * line by line (a room is answered in order, merged replies are one line per answer).
 */
export class MockWorld {
  readonly mocker = new mock.Mocker()
  readonly puppet = new PuppetMock({ mocker: this.mocker })
  readonly bot: mock.ContactMock
  readonly rooms: Array<{ room: mock.RoomMock; members: mock.ContactMock[] }> = []
  private readonly sentAt = new Map<string, number[]>()
  private readonly answered = new Map<string, number>()
  readonly latencies: number[] = []
  replyLines = 0
  lastReplyAt = 0
  botMessages = 0

  constructor(rooms: number, membersPerRoom: number, topic = (i: number) => `bench-${i}`) {
    this.puppet.on('error', () => {})
    this.bot = this.mocker.createContact({ name: 'siyu', id: 'wxid_bench_bot' })
    for (let r = 0; r < rooms; r++) {
      const members = Array.from({ length: membersPerRoom }, (_, i) => this.mocker.createContact({ name: `r${r}m${i}`, id: `wxid_r${r}m${i}` }))
      const room = this.mocker.createRoom({ id: `bench${r}@chatroom`, topic: topic(r), memberIdList: [this.bot.id, ...members.map((m) => m.id)] })
      this.rooms.push({ room, members })
    }
    this.bot.on('message', (m: mock.MessageMock) => {
      if (m.payload.talkerId !== this.bot.id || !m.payload.roomId) return
      const now = performance.now()
      const lines = (m.text() ?? '').split('\n').length
      this.botMessages++
      this.replyLines += lines
      this.lastReplyAt = now
      const sent = this.sentAt.get(m.payload.roomId) ?? []
      let i = this.answered.get(m.payload.roomId) ?? 0
      for (let k = 0; k < lines && i < sent.length; k++, i++) this.latencies.push(now - sent[i]!)
      this.answered.set(m.payload.roomId, i)
    })
  }

  login(): void {
    this.mocker.login(this.bot)
  }

  /** A member says a text in their room; stamped for the latency of its answer. */
  say(member: mock.ContactMock, room: mock.RoomMock, text: string): void {
    let stamps = this.sentAt.get(room.id)
    if (!stamps) this.sentAt.set(room.id, (stamps = []))
    stamps.push(performance.now())
    member.say(text).to(room)
  }
}

/** Wait (polling) until `probe` holds or `ms` pass; returns whether it held. */
export async function until(probe: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms
  while (!probe()) {
    if (Date.now() > end) return false
    await new Promise((r) => setTimeout(r, 5))
  }
  return true
}

/** Send `n` items through `emit`, a chunk per event-loop turn (as fast as the mock delivers). */
export async function emitAll(n: number, emit: (i: number) => void, chunk = 200): Promise<void> {
  for (let i = 0; i < n; i += chunk) {
    for (let k = i; k < Math.min(n, i + chunk); k++) emit(k)
    await new Promise<void>((r) => setImmediate(r))
  }
}
