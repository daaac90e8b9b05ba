import type { Logger } from 'pino'
import { FakeClock, settle } from '../../src/clock/FakeClock.js'
import { parseConfig } from '../../src/config/loadConfig.js'
import { Engine } from '../../src/engine/Engine.js'
import type { Member, RoomRef, Skill } from '../../src/engine/Skill.js'
import type { AiClient } from '../../src/ai/AiClient.js'
import { silentLogger } from '../../src/log/logger.js'
import { SendQueue, type RateLimits } from '../../src/send/SendQueue.js'
import { MemoryAdapter } from '../../src/store/MemoryAdapter.js'
import type { StorageAdapter } from '../../src/store/StorageAdapter.js'
import { Store } from '../../src/store/Store.js'
import { SKILLS } from '../../skills/index.js'
import { ActionGovernor } from '../../src/send/ActionGovernor.js'
import { FakeActions } from './fakeActions.js'
import type { MediaKind } from '../../src/config/mediaSchema.js'

export interface SentText {
  at: number
  to: string
  /** A media item's text is `[media <name>]`. */
  text: string
  mentionIds: string[]
  /** The media item's name, for a media message. */
  media?: string
}

export interface HarnessOptions {
  skills?: readonly Skill<any>[]
  clock?: FakeClock
  ai?: AiClient
  adapter?: StorageAdapter
  limits?: RateLimits | false
  log?: Logger
  /** False: hold jobs as after a start before the login; call engine.markRoomsReady() later. */
  roomsReady?: boolean
  /** Awaited when a text reaches the transport, before it counts as sent (a slow WeChat). */
  beforeTransport?: (to: string, text: string) => Promise<void> | void
  /** Media the fake account may still send today, per kind (default: no budget). */
  mediaLeft?: Partial<Record<MediaKind, number>>
  /** Compare rooms' member lists periodically, as the bot does (default off: call engine.reconcileRoom). */
  reconcile?: boolean
}

/**
 * The real engine, store and send queue on a fake clock and an in-memory transport: what
 * skill unit tests drive. Messages go in as the runtime would hand them over.
 */
export async function harness(yaml: string, options: HarnessOptions = {}) {
  const skills = options.skills ?? SKILLS
  const clock = options.clock ?? new FakeClock()
  const config = parseConfig('test.yaml', yaml, skills, clock.now())
  const adapter = options.adapter ?? new MemoryAdapter()
  await adapter.open()
  const store = new Store(adapter, { clock, log: options.log })
  const sent: SentText[] = []
  const mediaLeft = { ...options.mediaLeft }
  const queue = new SendQueue(
    {
      send: async (to, text, mentionIds) => {
        await options.beforeTransport?.(to, text)
        sent.push({ at: clock.now(), to, text, mentionIds })
      },
      // media as a recorder: each item one message; a spent budget is spent (the real sender's fallback is tested in tests/unit/media)
      sendMedia: async (to, item) => {
        const left = mediaLeft[item.kind]
        if (left !== undefined && left <= 0) return { as: 'skipped', reason: 'budget spent' }
        if (left !== undefined) mediaLeft[item.kind] = left - 1
        sent.push({ at: clock.now(), to, text: `[media ${item.name}]`, mentionIds: [], media: item.name })
        return { as: 'media' }
      },
      mediaBudgetLeft: (kind) => mediaLeft[kind] ?? Infinity,
    },
    { clock, limits: options.limits ?? false },
  )
  let reloadYaml: string | undefined
  const engine = await Engine.create(
    {
      skills,
      store,
      queue,
      clock,
      log: options.log ?? silentLogger,
      ai: options.ai,
      // paced like the queue: no limits unless the test asks for them
      governor: new ActionGovernor({ clock, limits: options.limits ?? false }),
      reconcile: options.reconcile ?? false,
      reload: async () => {
        try {
          await engine.setConfig(parseConfig('test.yaml', reloadYaml ?? yaml, skills, clock.now()))
          return { ok: true, problems: [] }
        } catch (err) {
          return { ok: false, problems: String((err as Error).message).split('\n') }
        }
      },
    },
    config,
  )
  const actions = new FakeActions(clock)
  engine.setActions(actions)
  // as the runtime does after loading the rooms at login
  if (options.roomsReady !== false) engine.markRoomsReady()
  let roomSeq = 0
  const msgSeq = { n: 0 }
  let friendSeq = 0

  const h = {
    engine,
    clock,
    sent,
    store,
    queue,
    config,
    room(topic: string, id = `room${++roomSeq}@chatroom`): RoomRef {
      const r = { id, topic }
      engine.rooms.upsert(r)
      return r
    },
    member(name: string, id = `wxid_${name.toLowerCase()}`): Member {
      return { id, name }
    },
    /** A member says something in a room; resolves when the engine is done with it. */
    async say(room: RoomRef, talker: Member, text: string, opts: { mentionsBot?: boolean; mentionIds?: string[] } = {}): Promise<void> {
      const trimmed = text.trim()
      await engine.handleMessage({
        room,
        talker,
        message: {
          id: `m${++msgSeq.n}`,
          text: trimmed,
          textWithoutMentions: opts.mentionsBot ? trimmed.replace(/@\S+\s?/g, '').trim() : trimmed,
          mentionsBot: opts.mentionsBot ?? false,
          mentionIds: opts.mentionIds ?? [],
          date: clock.now(),
        },
      })
      await h.flush()
    },
    /** The puppet's actions (accept, add, remove, member lists) as a recorder. */
    actions,
    /** A private message from a contact; resolves when the engine is done with it. */
    async dm(contact: Member, text: string): Promise<void> {
      const trimmed = text.trim()
      await engine.handleDirect({
        contact,
        message: { id: `m${++msgSeq.n}`, text: trimmed, textWithoutMentions: trimmed, mentionsBot: false, mentionIds: [], date: clock.now() },
      })
      await h.flush()
    },
    /** A friend request with its hello text; returns its id. */
    async friendRequest(contact: Member, hello: string, id = `fr${++friendSeq}`): Promise<string> {
      await engine.handleFriendship({ friendshipId: id, contact, hello })
      await h.flush()
      return id
    },
    async join(room: RoomRef, members: Member[], memberCount = 10): Promise<void> {
      await engine.handleJoin({ room, members, memberCount })
      await h.flush()
    },
    async leave(room: RoomRef, members: Member[], memberCount = 10): Promise<void> {
      await engine.handleLeave({ room, members, memberCount })
      await h.flush()
    },
    /** Let the store commit and the queue send what is due now (time does not move). */
    async flush(): Promise<void> {
      await settle(10)
      await store.durable()
      await clock.advance(0)
    },
    /** Texts sent to a conversation, in order. */
    texts(to: string): string[] {
      return sent.filter((s) => s.to === to).map((s) => s.text)
    },
    setReloadYaml(y: string): void {
      reloadYaml = y
    },
    /** Set how many media of a kind the fake account may still send today. */
    setMediaLeft(kind: MediaKind, n: number): void {
      mediaLeft[kind] = n
    },
  }
  return h
}

export type Harness = Awaited<ReturnType<typeof harness>>
