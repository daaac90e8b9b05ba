import type { Logger } from 'pino'
import { FakeClock, settle } from '../../src/clock/FakeClock.js'
import { parseConfig } from '../../src/config/loadConfig.js'
import { DEFAULT_TAKEOVER_SECONDS } from '../../src/config/accountsSchema.js'
import { assigneesInStore } from '../../src/engine/Assignees.js'
import { Engine } from '../../src/engine/Engine.js'
import type { Member, RoomRef, Skill } from '../../src/engine/Skill.js'
import { silentLogger } from '../../src/log/logger.js'
import { AccountRouter } from '../../src/runtime/AccountRouter.js'
import type { RuntimeEngine } from '../../src/runtime/WechatyRuntime.js'
import { SendQueue, type RateLimits } from '../../src/send/SendQueue.js'
import { MemoryAdapter } from '../../src/store/MemoryAdapter.js'
import type { StorageAdapter } from '../../src/store/StorageAdapter.js'
import { Store } from '../../src/store/Store.js'
import { SKILLS } from '../../skills/index.js'
import { FakeActions } from './fakeActions.js'

export interface AccountSent {
  account: string
  at: number
  to: string
  text: string
}

/**
 * One fake WeChat account: what its runtime would do (report rooms at login, pause its queue on
 * logout) and a transport that records what it sends — or fails, when told to.
 */
export class FakeAccount {
  readonly rooms = new Set<string>()
  online = false
  /** The next sends throw this error (a timeout: WeChat may have taken it). */
  failNext: Error[] = []
  readonly actions: FakeActions
  queue!: SendQueue
  sink!: RuntimeEngine

  constructor(
    readonly id: string,
    private readonly clock: FakeClock,
    private readonly sent: AccountSent[],
  ) {
    this.actions = new FakeActions(clock)
    this.actions.online = false
  }

  transport() {
    return {
      send: async (to: string, text: string) => {
        if (!this.online) throw new Error('not logged in')
        const fail = this.failNext.shift()
        if (fail) throw fail
        this.sent.push({ account: this.id, at: this.clock.now(), to, text })
      },
      connected: () => this.online,
    }
  }
}

/**
 * The real engine and skills, one real SendQueue per account behind the AccountRouter, on a
 * fake clock: accounts log in and out, members speak and every account in the room sees it.
 */
export async function accountsHarness(yaml: string, o: { clock?: FakeClock; adapter?: StorageAdapter; limits?: RateLimits | false; log?: Logger; skills?: readonly Skill<any>[] } = {}) {
  const clock = o.clock ?? new FakeClock()
  const skills = o.skills ?? SKILLS
  const config = parseConfig('test.yaml', yaml, skills, clock.now())
  const adapter = o.adapter ?? new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter)
  const sent: AccountSent[] = []
  const accounts = new Map(config.accounts.map((a) => [a.id, new FakeAccount(a.id, clock, sent)]))
  for (const a of accounts.values()) {
    a.queue = new SendQueue(a.transport(), { clock, limits: o.limits ?? false })
    a.queue.pause()
  }
  const core = await store.open('core/')
  const router = new AccountRouter({
    accounts: [...accounts.values()].map((a) => ({ id: a.id, queue: a.queue, actions: a.actions })),
    clock,
    log: o.log ?? silentLogger,
    record: assigneesInStore(core.child('accounts').child('assignee')),
    graceMs: (config.bot.takeoverSeconds ?? DEFAULT_TAKEOVER_SECONDS) * 1000,
  })
  const engine = await Engine.create({ skills, store, queue: router, clock, log: o.log ?? silentLogger, reconcile: false }, config)
  engine.setActions(router)
  router.attach(engine)
  for (const a of accounts.values()) a.sink = router.sinkFor(a.id)
  let seq = 0

  const h = {
    clock,
    engine,
    router,
    store,
    sent,
    account(id: string): FakeAccount {
      const a = accounts.get(id)
      if (!a) throw new Error(`no account ${id}`)
      return a
    },
    /** The account logs in and reports the rooms it is in (as WechatyRuntime's onLogin does). */
    async login(id: string, rooms: RoomRef[]): Promise<void> {
      const a = h.account(id)
      a.online = true
      a.actions.online = true
      for (const r of rooms) {
        a.rooms.add(r.id)
        a.sink.rooms.upsert(r)
      }
      a.queue.resume()
      a.sink.markRoomsReady()
      await h.flush()
    },
    /** Logged out / banned / cut off: its runtime pauses its queue, the router hears of it. */
    async logout(id: string): Promise<void> {
      const a = h.account(id)
      a.online = false
      a.actions.online = false
      a.queue.pause()
      router.setOffline(id, 'test logout')
      await h.flush()
    },
    member(name: string): Member {
      return { id: `wxid_${name.toLowerCase()}`, name }
    },
    /** A member speaks: every online account in the room gets the message (with its own id). */
    async say(room: RoomRef, talker: Member, text: string): Promise<void> {
      const n = ++seq
      const date = clock.now()
      for (const a of accounts.values()) {
        if (!a.online || !a.rooms.has(room.id)) continue
        await a.sink.handleMessage({
          room,
          talker,
          message: { id: `${a.id}-m${n}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date },
        })
      }
      await h.flush()
    },
    async dm(id: string, contact: Member, text: string): Promise<void> {
      await h.account(id).sink.handleDirect({
        contact,
        message: { id: `${id}-d${++seq}`, text, textWithoutMentions: text, mentionsBot: false, mentionIds: [], date: clock.now() },
      })
      await h.flush()
    },
    /** A friend request received by one account (WechatyRuntime hands it to that account's sink). */
    async friendRequest(id: string, contact: Member, hello: string, friendshipId: string): Promise<void> {
      await h.account(id).sink.handleFriendship({ friendshipId, contact, hello })
      await h.flush()
    },
    async flush(): Promise<void> {
      await settle(10)
      await store.durable()
      await clock.advance(0)
    },
    /** What each account sent into a conversation, as `account: text`. */
    texts(to: string): string[] {
      return sent.filter((s) => s.to === to).map((s) => `${s.account}: ${s.text}`)
    },
  }
  return h
}

export type AccountsHarness = Awaited<ReturnType<typeof accountsHarness>>
