import { randomBytes } from 'node:crypto'
import type { Logger } from 'pino'
import type { MemberBook } from '../../members/MemberBook.js'
import type { PointsBook } from '../../members/PointsBook.js'
import type { TagBook } from '../../members/TagBook.js'
import type { JobRunner } from '../JobRunner.js'
import type { GroupContext, Skill } from '../Skill.js'
import { HandoffInbox } from '../../inbox/HandoffInbox.js'
import type { Json } from '../../store/StorageAdapter.js'
import { segment, unsegment, type Store } from '../../store/Store.js'
import type { LedgerEntry, MemberPoints } from '../../members/PointsBook.js'

/** What a forgotten member's points rows are named (the total stays: others' numbers depend on it). */
export const FORGOTTEN_NAME = '已删除成员'
/** Anonymous ids start so: leaderboards leave them out. */
export const ANON_PREFIX = 'anon_'

export interface ForgetResult {
  anonymousId: string
  /** What was removed or rewritten, by kind (for the audit line and the API). */
  removed: Record<string, number>
}

/**
 * Forget a member (CONTRACT §11: `#forget`, `DELETE /api/members/<id>`, 删除我的数据 →
 * 确认删除): every record of the contact is removed — the member record (names, timeline,
 * messages per day) and every mention of them in other members' records, their tags, hand-off
 * texts, and each enabled skill's own records (Skill.forgetMember: orders' personal fields,
 * guard's strikes and evidence, subscriptions, pending invites…) — while the totals other
 * numbers depend on stay under a fresh anonymous id: a pool's points row and its ledger
 * entries (the pool's sums and the audit of totals still add up), the orders' stock.
 *
 * Synchronous from start to end, so it is ONE store commit: never half-done. A last pass
 * over the whole store replaces any remaining mention of the contact id (a skill without a
 * forgetMember hook) and says so in the log. The caller then waits for the store and
 * compacts it (`compactStorage`), so the old values are gone from the data dir as well.
 */
/** What forgetting uses of the engine (the Engine is one; this file does not import the Engine that calls it). */
export interface ForgetHost {
  readonly members: MemberBook
  readonly tags: TagBook
  readonly jobs: Pick<JobRunner, 'forgetWhere'>
  readonly log: Logger
  points(pool: string): PointsBook
  enabledWith(hook: 'forgetMember'): Array<{ skill: Skill<any>; group: string; ctx: GroupContext<unknown> }>
}

export function forgetMember(engine: ForgetHost, store: Store, contactId: string): ForgetResult {
  const anonymousId = `${ANON_PREFIX}${randomBytes(6).toString('hex')}`
  const removed: Record<string, number> = Object.create(null)
  const count = (what: string, n = 1): void => {
    if (n > 0) removed[what] = (removed[what] ?? 0) + n
  }
  const book = engine.members
  const row = book.get(contactId)
  const names = [...new Set([...(row?.names ?? []), row?.name ?? ''])].filter((n) => n.length >= 2 && n !== contactId)
  const scrub = scrubber(contactId, anonymousId, names)
  const mentions = idPattern(contactId)

  // the member record, and where other members' records name them (who invited whom)
  if (row) {
    book.put(contactId, undefined, row)
    count('memberRecord')
  }
  book.rows.forEach((id, other) => {
    if (!JSON.stringify(other).includes(contactId)) return
    const rooms = other.rooms.map((s) => (s.inviterId === contactId ? { ...s, inviterId: undefined } : s)).map(dropUndefined)
    const events = other.events.map((e) => (e.by === contactId ? dropUndefined({ ...e, by: undefined }) : e))
    book.put(id, { ...other, rooms, events }, other)
    count('mentionsInOtherMembers')
  })
  const ask = book.ns.get(`forgetAsk/${segment(contactId)}`)
  if (ask !== undefined) book.ns.delete(`forgetAsk/${segment(contactId)}`)

  // tags: brand-wide; gone with the member (no trace kept)
  const tagged = engine.tags.rows.get(contactId)
  if (tagged) {
    engine.tags.rows.delete(contactId)
    count('tags', Object.keys(tagged).length)
  }

  // points: every pool's row moves to the anonymous id; ledger entries follow
  const moves: Array<[string, string, MemberPoints]> = []
  store.each('checkin/', (dir, leaf, value) => {
    if (/^checkin\/pool:[^/]+\/members\/[^/]+$/.test(dir) && unsegment(leaf) === contactId) moves.push([dir, leaf, value as unknown as MemberPoints])
  })
  for (const [dir, leaf, points] of moves) {
    const pool = dir.slice(0, dir.indexOf('/members/'))
    store.set(`${dir}/${leaf}`, undefined)
    const table = engine.points(unsegment(pool.slice('checkin/pool:'.length))).members
    table.set(anonymousId, { ...points, name: FORGOTTEN_NAME })
    count('pointsRows')
  }
  const entries: Array<[string, LedgerEntry]> = []
  store.each('checkin/', (dir, leaf, value) => {
    if (!/^checkin\/pool:[^/]+\/ledger\//.test(dir)) return
    const e = value as unknown as LedgerEntry
    if (e.member === contactId) entries.push([`${dir}/${leaf}`, e])
  })
  for (const [key, e] of entries) store.set(key, { ...e, member: anonymousId, ...(e.note ? { note: scrub(e.note) } : {}) } as unknown as Json)
  count('ledgerEntries', entries.length)

  // hand-offs: the record stays (counts, the inbox's numbering), the member and the texts go
  const inbox = HandoffInbox.of(store)
  for (const h of inbox.list()) {
    if (h.memberId !== contactId) continue
    inbox.replace({ ...h, memberId: anonymousId, memberName: FORGOTTEN_NAME, text: '', replies: h.replies.map((r) => ({ ...r, text: '' })) })
    count('handoffs')
  }

  // jobs about them (a pending invite, a removal waiting its turn)
  count('jobs', engine.jobs.forgetWhere((job) => job.id.includes(contactId) || JSON.stringify(job.data).includes(contactId)))

  // each enabled skill's own records
  for (const { skill, group, ctx } of engine.enabledWith('forgetMember')) {
    try {
      skill.forgetMember!(ctx, contactId, anonymousId)
      count(`skill:${skill.name}`)
    } catch (err) {
      engine.log.error({ err, skill: skill.name, group }, 'skill failed to forget a member; the last pass cleans up after it')
    }
  }

  // the last pass: no key names them, no value mentions them
  const left = new Map<string, number>()
  const rewrites: Array<[string, Json | undefined]> = []
  store.each('', (dir, leaf, value) => {
    const key = `${dir}/${leaf}`
    if (key.split('/').some((part) => mentions.test(unsegment(part)))) {
      rewrites.push([key, undefined])
    } else {
      if (!mentions.test(JSON.stringify(value))) return
      rewrites.push([key, deepScrub(value, scrub)])
    }
    const top = dir.split('/').slice(0, 2).join('/')
    left.set(top, (left.get(top) ?? 0) + 1)
  })
  for (const [key, value] of rewrites) store.set(key, value)
  if (left.size > 0) {
    count('cleanedByLastPass', rewrites.length)
    engine.log.warn({ where: Object.fromEntries(left) }, 'forget: records of the member that no forgetMember hook removed were cleaned by the last pass')
  }
  return { anonymousId, removed: { ...removed } }
}

/** A function replacing the contact id (by the anonymous id) and their names (by ***) in a text. */
export function scrubber(contactId: string, anonymousId: string, names: readonly string[]): (s: string) => string {
  const sorted = [...names].sort((a, b) => b.length - a.length)
  const id = new RegExp(idPattern(contactId).source, 'g')
  return (s) => {
    let out = s.replace(id, anonymousId)
    for (const n of sorted) out = out.split(n).join('***')
    return out
  }
}

/** The contact id as a whole word: `wxid_a` is not found inside `wxid_abc`. */
export function idPattern(contactId: string): RegExp {
  const escaped = contactId.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
  return new RegExp(`(?<![\\w@.-])${escaped}(?![\\w@.-])`)
}

function deepScrub(v: Json, scrub: (s: string) => string): Json {
  if (typeof v === 'string') return scrub(v)
  if (Array.isArray(v)) return v.map((x) => deepScrub(x, scrub))
  if (v && typeof v === 'object') {
    const out: Record<string, Json> = Object.create(null)
    for (const [k, x] of Object.entries(v)) out[scrub(k)] = deepScrub(x, scrub)
    return { ...out }
  }
  return v
}

function dropUndefined<T extends object>(o: T): T {
  for (const k of Object.keys(o) as Array<keyof T>) if (o[k] === undefined) delete o[k]
  return o
}

/**
 * After a forget: make the data dir hold only what the store holds now. The file store keeps
 * a journal of past changes until its next checkpoint — with the forgotten values in it — so
 * a checkpoint is forced (the journal segments are dropped). PostgreSQL rewrites the rows in
 * the commit itself.
 */
export async function compactStorage(store: Store): Promise<void> {
  await store.durable()
  const adapter = store.adapter as { checkpoint?: () => Promise<void>; compact?: () => Promise<void> }
  if (typeof adapter.compact === 'function') await adapter.compact()
  else if (typeof adapter.checkpoint === 'function') await adapter.checkpoint()
}
