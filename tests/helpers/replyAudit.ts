import { vi } from 'vitest'
import type { LoadedConfig } from '../../src/config/loadConfig.js'
import { SkillContext } from '../../src/engine/SkillContext.js'
import type { Member, RoomRef } from '../../src/engine/Skill.js'
import { ALONE_REASONS, type EnqueueOptions, type SendKind } from '../../src/send/Item.js'
import { sampleRoom } from '../../src/sandbox/topicFor.js'
import { renderOutgoing } from '../../src/text/Outgoing.js'
import type { Harness } from './harness.js'

/**
 * Issue 27's guard against a skill bringing the rush back: drive every member-facing trigger
 * of every skill a config enables, and every admin command's list and usage, through the real
 * engine; spy on what each says; hold each reply to CONTRACT §1:
 *
 * - it declares a kind (`owed | info | scheduled`), also at run time;
 * - `owed` only confirms something stored: the event that made it wrote to the store (the
 *   day's counters aside). A list, a catalog, "my orders" said as owed would never be dropped
 *   and never coalesce: under a rush the confirmations wait behind it;
 * - an owed or scheduled text that stands alone names its reason (`ALONE_REASONS`);
 * - an informational reply to a trigger coalesces (a `coalesce` key): a member's repeats, or
 *   a room's askers, are one reply while it waits;
 * - a reply keyed per room (@-ing its askers) does not address one asker by name in its first
 *   line: the others would be answered with the first asker's name and points.
 *
 * Triggers are found in the skills' own config, so a skill added later is driven without a
 * line here: every string (list) under a key named `triggers`, `…Triggers`, `keywords` or
 * `exact`, said alone and followed by each `id` the skill's config holds (`兑换 sample`); in
 * a room of each group enabling the skill and privately. Admins send `#<command>` bare, with
 * `list`, and with an unknown word. And a newcomer joins, a link card is posted, a friend
 * request comes in.
 */

export interface Reply {
  event: string
  /** The skill whose trigger or command the event drove (absent: a join, a card, a friend request). */
  driving: string | undefined
  /** The skill whose context said it, or `core` (admin commands, the console). */
  skill: string
  to: string
  text: string
  options: EnqueueOptions
  talker: Member | undefined
  /** What the store wrote while the event was handled (the engine's bookkeeping aside). */
  writes: string[]
}

export interface Violation {
  rule: string
  event: string
  skill: string
  text: string
}

const KINDS: readonly SendKind[] = ['owed', 'info', 'scheduled']
/**
 * What the engine writes on every message, whatever a skill does — the day's counters, the
 * member directory (last seen), what the bot said — is not what a reply confirms. When the
 * engine starts writing something new on every message, the canary test in
 * tests/unit/skills/replyKinds.test.ts fails (an owed list no longer looks unstored): add it here.
 */
const BOOKKEEPING = ['core/stats/', 'core/members/']
const TRIGGER_KEY = /^(triggers|\w+Triggers|keywords|exact)$/

/** Strings under trigger-like keys, and every `id`, anywhere in a skill's (plain) config. */
export function triggersOf(config: unknown): { triggers: string[]; ids: string[] } {
  const triggers = new Set<string>()
  const ids = new Set<string>()
  const walk = (v: unknown, key: string | undefined): void => {
    if (typeof v === 'string') {
      if (key && TRIGGER_KEY.test(key)) triggers.add(v)
      if (key === 'id') ids.add(v)
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key)
    } else if (v && typeof v === 'object' && [Object.prototype, null].includes(Object.getPrototypeOf(v))) {
      for (const [k, x] of Object.entries(v)) walk(x, k)
    }
  }
  walk(config, undefined)
  return { triggers: [...triggers], ids: [...ids] }
}

/** Hold one reply to the rules above; `trigger`: it answered a member's trigger. */
export function check(r: Reply, trigger: boolean): string[] {
  const o = r.options as EnqueueOptions & { mergeable?: boolean; because?: string; coalesce?: { key: string; asker?: Member } }
  const out: string[] = []
  if (!KINDS.includes(o.kind)) return [`no kind (${String(o.kind)})`]
  if (o.kind !== 'info' && o.mergeable === false && !(o.because && o.because in ALONE_REASONS)) out.push(`an unmergeable ${o.kind} text with no named reason`)
  if (o.kind === 'owed' && r.writes.length === 0) out.push('owed, but the event stored nothing: not a confirmation (make it info, with a coalesce key)')
  if (o.kind === 'info' && o.mergeable === false && !o.coalesce) out.push('an unmergeable informational reply with no coalesce key')
  if (o.kind === 'info' && trigger && !o.coalesce) out.push('an informational reply to a trigger with no coalesce key: repeats pile up')
  const talker = r.talker
  // (privately the conversation is the member's own)
  if (o.kind === 'info' && o.coalesce && talker && r.to !== talker.id && !o.coalesce.key.includes(talker.id)) {
    if (r.text.split('\n')[0]!.includes(talker.name)) out.push('keyed per room, yet its first line names the asker: key it per member')
  }
  return out
}

/**
 * Drive `config`'s groups through `h` and return every reply with what the rules found.
 * `admin` must be in `bot.admins`. The caller restores the spies (`vi.restoreAllMocks`).
 */
export async function auditReplies(h: Harness, config: LoadedConfig, admin: string): Promise<{ replies: Reply[]; violations: Violation[] }> {
  const replies: Reply[] = []
  const violations: Violation[] = []
  let event = ''
  let driving: string | undefined
  let talker: Member | undefined
  let writes: string[] = []
  let trigger = false
  let skillNow: string | undefined

  const sayIn = SkillContext.prototype.sayIn
  vi.spyOn(SkillContext.prototype, 'sayIn').mockImplementation(function (this: SkillContext<unknown>, ...args) {
    skillNow = this.skill
    try {
      return sayIn.apply(this, args)
    } finally {
      skillNow = undefined
    }
  })
  const set = h.store.set.bind(h.store)
  vi.spyOn(h.store, 'set').mockImplementation((key, value) => {
    if (!BOOKKEEPING.some((p) => key.startsWith(p))) writes.push(key)
    set(key, value)
  })
  const enqueue = h.queue.enqueue.bind(h.queue)
  vi.spyOn(h.queue, 'enqueue').mockImplementation((to, segments, options) => {
    const r: Reply = { event, driving, skill: skillNow ?? 'core', to, text: renderOutgoing(segments).text, options, talker, writes: [...writes] }
    replies.push(r)
    for (const rule of check(r, trigger)) violations.push({ rule, event, skill: r.skill, text: r.text.slice(0, 80) })
    return enqueue(to, segments, options)
  })

  const on = async (skill: string | undefined, what: string, who: Member | undefined, isTrigger: boolean, run: () => Promise<unknown>): Promise<void> => {
    driving = skill
    event = skill ? `${skill}: ${what}` : what
    talker = who
    trigger = isTrigger
    writes = []
    await run()
    await h.flush()
    // members type at a human pace: guard's flood rule (8 in 10 s) must not strike the audit
    await h.clock.advance(2_000)
  }

  const a = h.member('测试甲', 'wxid_audit_a')
  const b = h.member('测试乙', 'wxid_audit_b')
  const boss = h.member('管理员', admin)
  const rooms: Array<{ room: RoomRef; skills: Map<string, unknown> }> = config.groups.map((g, n) => {
    const sample = sampleRoom(g.name, g.matcher, n)
    return { room: h.room(sample.topic, `audit${n}@chatroom`), skills: g.skills }
  })
  // members with points in every pool (redemptions go through), in every room (gate sees them there)
  for (const g of config.groups) {
    const pool = h.engine.pointsPool(g.name)
    for (const m of [a, b]) h.engine.points(pool).change(m.id, 1000, 'adjust', { now: h.clock.now(), day: h.engine.time.dayKey(h.clock.now()), group: g.name, name: m.name })
  }
  await h.flush()

  for (const { room, skills } of rooms) {
    for (const [skill, cfg] of skills) {
      const { triggers, ids } = triggersOf(cfg)
      const texts = triggers.flatMap((t) => [t, ...ids.map((id) => `${t} ${id}`), `${t} 没有这个`])
      for (const text of texts) {
        // the same member twice (a repeat), then another member
        for (const [who, n] of [[a, 1], [a, 2], [b, 1]] as const) {
          await on(skill, `${who.name} says "${text}" in ${room.topic} (${n})`, who, true, () => h.say(room, who, text))
          await on(skill, `${who.name} says "${text}" privately (${n})`, who, true, () => h.dm(who, text))
        }
      }
    }
    for (const spec of h.engine.deps.skills) {
      for (const name of Object.keys(spec.commands ?? {})) {
        for (const args of ['', ' list', ' 没有这个']) {
          await on(spec.name, `admin says "#${name}${args}" in ${room.topic}`, boss, false, () => h.say(room, boss, `${config.bot.commandPrefix}${name}${args}`))
        }
      }
    }
    for (const core of ['stats', 'help']) await on('core', `admin says "#${core}"`, boss, false, () => h.say(room, boss, `${config.bot.commandPrefix}${core}`))
    // a newcomer (the welcome goes out when its window ends), a link card, a friend request
    await on(undefined, `a newcomer joins ${room.topic}`, undefined, false, async () => {
      await h.join(room, [h.member('新人', `wxid_new_${room.id}`)])
      await h.clock.advance(5 * 60_000)
    })
    await on(undefined, `a link card in ${room.topic}`, b, false, () =>
      h.engine.handleMessage({
        room,
        talker: b,
        message: { id: `card-${room.id}`, kind: 'url', card: { type: 'Url', url: 'https://spam.example.com/x', title: '秒杀' }, text: '', textWithoutMentions: '', mentionsBot: false, mentionIds: [], date: h.clock.now() },
      }),
    )
  }
  await on(undefined, 'a friend request', undefined, false, async () => {
    await h.friendRequest(h.member('新朋友', 'wxid_audit_friend'), '希思黎 进群')
    await h.clock.advance(5 * 60_000)
  })
  // what skills say on their own schedule (nudge's silent list, digests, posts): 15 days pass,
  // a day at a time, so members fall silent and every weekly job falls due at least twice
  await on(undefined, 'the schedule', undefined, false, async () => {
    for (let day = 0; day < 15; day++) await h.clock.advance(86_400_000)
  })
  return { replies, violations }
}

/** Skills that answered something in the audit (said it, or their trigger or command was answered). */
export function skillsHeard(replies: readonly Reply[]): Set<string> {
  return new Set(replies.flatMap((r) => [r.skill, ...(r.driving ? [r.driving] : [])]))
}
