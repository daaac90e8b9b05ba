import { fileURLToPath } from 'node:url'
import { z } from 'zod'
import { ApiError, ErrorBody, iso, type ConsoleDeps, type ConsoleSection } from '../../src/console/extensions.js'
import { RULE_NAMES } from './config.js'
import type { Skill } from '../../src/engine/Skill.js'
import type { GuardConfig } from './config.js'
import { LOG_SIZE, type GuardRecord } from './GuardBook.js'
import { guardBlacklist, guardHistory, pardon } from './manage.js'
import type { GuardMemory } from './removal.js'

/*
 * guard's console section "移出记录 / Removals" (CONTRACT §8), declared in index.ts
 * (`console: removalsSection`): the group's recent strikes, removals and pardons, its
 * blacklist, and a pardon — all through manage.ts, the same functions `#guard list|pardon` use.
 */

const GroupName = z.string().min(1).max(64).describe('a group name from the config')
const ContactId = z.string().regex(/^[^\s/]{1,128}$/, 'contactId is a WeChat contact id (wxid_…)')

export const RemovalsQuery = z.object({
  group: GroupName,
  limit: z.coerce.number({ error: 'limit is a number (1-100)' }).int('limit is a whole number').min(1, 'limit is 1 to 100').max(LOG_SIZE, 'limit is 1 to 100').default(50),
})

const Rule = z.enum(Object.keys(RULE_NAMES) as [keyof typeof RULE_NAMES, ...Array<keyof typeof RULE_NAMES>])

export const RemovalRecord = z.object({
  group: z.string(),
  kind: z.enum(['strike', 'removal', 'removal failed', 'pardon']),
  memberId: z.string(),
  memberName: z.string().optional(),
  rule: Rule.optional().describe('absent for a pardon'),
  ruleText: z.string().optional().describe('the rule as the room reads it: 发链接, 刷屏…'),
  at: z.string().describe('ISO 8601 in bot.timezone'),
  roomId: z.string().optional(),
  roomTopic: z.string().optional(),
  strike: z.number().int().optional().describe('strike: which one'),
  of: z.number().int().optional().describe('strike: of how many remove'),
  evidence: z.string().optional().describe('the first 200 characters of what was posted'),
  type: z.string().optional().describe('the message type: Text, Url, MiniProgram, Contact, Join…'),
  reason: z.string().optional().describe('removal failed: why'),
  by: z.string().optional().describe('pardon: an admin contact id, console or api'),
})

export const BlacklistEntry = z.object({
  group: z.string(),
  kind: z.literal('blacklisted'),
  memberId: z.string(),
  memberName: z.string().optional(),
  rule: Rule,
  ruleText: z.string(),
  at: z.string().describe('when they were removed, ISO 8601'),
  roomId: z.string(),
  roomTopic: z.string(),
})

export const RemovalsResponse = z.object({
  group: z.string(),
  guard: z.boolean().describe('guard is on in this group'),
  history: z.array(RemovalRecord).describe('newest first'),
  blacklist: z.array(BlacklistEntry).describe('newest first'),
})

export const PardonParams = z.object({ group: GroupName, contactId: ContactId })

export const PardonResponse = z.object({
  group: z.string(),
  memberId: z.string(),
  memberName: z.string().optional(),
  strikes: z.number().int().describe('strikes cleared'),
  unbanned: z.boolean().describe('was on the blacklist, is not now'),
  removalsCancelled: z.number().int(),
  changed: z.boolean().describe('false: nothing to pardon, nothing changed or recorded'),
})

function knownGroup(deps: ConsoleDeps, name: string) {
  const group = deps.engine.findGroup(name)
  if (!group) throw new ApiError(404, `no group "${name}" in the config`)
  return group
}

function record(deps: ConsoleDeps, group: string, r: GuardRecord): z.infer<typeof RemovalRecord> {
  return {
    group,
    kind: r.action,
    memberId: r.contactId,
    memberName: r.name,
    rule: r.rule,
    ruleText: r.rule ? RULE_NAMES[r.rule] : undefined,
    at: iso(deps, r.at),
    roomId: r.roomId,
    roomTopic: r.topic,
    strike: r.strike,
    of: r.of,
    evidence: r.evidence,
    type: r.type,
    reason: r.reason,
    by: r.by,
  }
}

export function removals(deps: ConsoleDeps, name: string, limit: number): z.infer<typeof RemovalsResponse> {
  const group = knownGroup(deps, name)
  return {
    group: name,
    guard: group.skills.has('guard'),
    history: guardHistory(deps.store, name, limit).map((r) => record(deps, name, r)),
    blacklist: guardBlacklist(deps.store, name).map((b) => ({
      group: name,
      kind: 'blacklisted' as const,
      memberId: b.contactId,
      memberName: b.name,
      rule: b.rule,
      ruleText: RULE_NAMES[b.rule],
      at: iso(deps, b.at),
      roomId: b.roomId,
      roomTopic: b.topic,
    })),
  }
}

/** As `#guard pardon` does: the member's flood/repeat counts (guard's working memory) start over. */
function forgetWindows(deps: ConsoleDeps, name: string, contactId: string): void {
  const group = deps.engine.findGroup(name)
  const skill = deps.engine.deps.skills.find((s) => s.name === 'guard') as Skill<GuardConfig, GuardMemory> | undefined
  if (!group || !skill || !group.skills.has('guard')) return
  deps.engine.groupContext(skill, group, group.skills.get('guard') as GuardConfig).memory.windows.forget(contactId)
}

export const removalsSection: ConsoleSection = {
  id: 'removals',
  title: '移出记录 Removals',
  routes(api) {
    const { app, deps } = api
    app.get(
      '/api/removals',
      { schema: { summary: "guard: a group's recent strikes, removals and pardons, and its blacklist", querystring: RemovalsQuery, response: { 200: RemovalsResponse, 400: ErrorBody, 404: ErrorBody } } },
      (req) => removals(deps, req.query.group, req.query.limit),
    )
    app.post(
      '/api/removals/:group/:contactId/pardon',
      {
        schema: {
          summary: "guard: pardon a member in a group (clears their strikes, their blacklist entry and a removal still waiting), as #guard pardon does",
          params: PardonParams,
          response: { 200: PardonResponse, 400: ErrorBody, 404: ErrorBody },
        },
      },
      async (req) => {
        const { group, contactId } = req.params
        knownGroup(deps, group)
        const via = api.via(req)
        // the one implementation, shared with `#guard pardon`; recorded in guard's history as by console/api
        const r = pardon(deps.store, group, contactId, via, deps.clock.now())
        forgetWindows(deps, group, contactId)
        if (r.changed) api.audit(req, 'guard pardon', { group, contact: contactId, strikes: r.strikes, unbanned: r.unbanned, removalsCancelled: r.removalsCancelled })
        await deps.store.durable()
        return { group, memberId: contactId, memberName: r.name, strikes: r.strikes, unbanned: r.unbanned, removalsCancelled: r.removalsCancelled, changed: r.changed }
      },
    )
  },
  page: fileURLToPath(new URL('./console-page.js', import.meta.url)),
}
