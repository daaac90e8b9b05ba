import { z } from 'zod'
import { parseDailyWindow, ZonedTime } from '../time/ZonedTime.js'
import { positiveInt, stringList } from './common.js'
import { FriendsSchema, TagRulesSchema } from './brandSchema.js'
import { GroupAccountsSchema, TakeoverSchema } from './accountsSchema.js'
import { PerDaySchema } from './mediaSchema.js'
import { DEFAULT_RECONCILE_MS, DEFAULT_RETAIN_DAYS, MembersSchema, PrivacySchema } from './membersSchema.js'

/** The top level of the config: `bot`, `ai`, `defaults`, `groups`. Skills bring their own parts. */

export const RateLimitSchema = z
  .union(
    [
      z.literal(false),
      z.strictObject({
        roomPerMinute: positiveInt('roomPerMinute').default(20).describe('most bot messages per room per minute'),
        totalPerMinute: positiveInt('totalPerMinute').default(60).describe('most bot messages overall per minute'),
        perDay: PerDaySchema,
      }),
    ],
    { error: 'rateLimit is {roomPerMinute, totalPerMinute, perDay}, or false to turn limits off' },
  )
  .default({ roomPerMinute: 20, totalPerMinute: 60, perDay: { image: 300, file: 100, link: 300, miniProgram: 200 } })

export const BotSchema = z
  .strictObject({
    timezone: z
      .string({ error: 'timezone must be a text like Asia/Shanghai' })
      .refine(ZonedTime.isValidZone, { message: 'unknown time zone; use an IANA name like Asia/Shanghai' })
      .default('Asia/Shanghai')
      .describe('every time in the config and in replies'),
    admins: stringList('a list of contact ids')
      .default([])
      .describe('contact ids (wxid_...) allowed to run admin commands; names are never trusted'),
    commandPrefix: z.string().min(1, 'commandPrefix cannot be empty').max(3, 'commandPrefix is at most 3 characters').default('#'),
    rateLimit: RateLimitSchema,
    quietHours: z
      .string({ error: 'quietHours is a text like "23:00-08:00"' })
      .transform((s, ctx) => {
        const w = parseDailyWindow(s)
        if (!w) {
          ctx.addIssue({ code: 'custom', message: `quietHours "${s}" is not a window like "23:00-08:00"` })
          return z.NEVER
        }
        return w
      })
      .optional()
      .describe('no scheduled reminders in this daily window, e.g. "23:00-08:00"'),
    name: z.string().min(1).default('小助手').describe('the bot’s name in the sandbox'),
    tags: TagRulesSchema,
    friends: FriendsSchema,
    takeoverSeconds: TakeoverSchema,
    privacy: PrivacySchema,
    members: MembersSchema,
  })
  .default({
    timezone: 'Asia/Shanghai',
    admins: [],
    commandPrefix: '#',
    rateLimit: { roomPerMinute: 20, totalPerMinute: 60, perDay: { image: 300, file: 100, link: 300, miniProgram: 200 } },
    name: '小助手',
    tags: [],
    friends: { accept: 'none', keywords: [], perDay: 100 },
    privacy: { retainDays: DEFAULT_RETAIN_DAYS },
    members: { reconcileEvery: DEFAULT_RECONCILE_MS },
  })

export type BotSettings = z.output<typeof BotSchema>

export const AiSchema = z
  .strictObject({
    model: z.string({ error: 'ai.model is required (e.g. gpt-4o-mini)' }).min(1),
    baseURL: z.url({ error: 'baseURL must be a URL like https://host/v1' }).optional(),
    apiKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'apiKeyEnv is the NAME of an environment variable, not the key itself')
      .default('OPENAI_API_KEY'),
    timeoutSeconds: z.number({ error: 'timeoutSeconds must be a number' }).positive().max(300).default(20),
    maxTokens: positiveInt('maxTokens').default(400),
    temperature: z.number().min(0).max(2).default(0.3),
  })
  .optional()

export type AiSettings = NonNullable<z.output<typeof AiSchema>>

/** `/regex/flags` on a topic, else a glob. */
export const TOPIC_REGEX = /^\/(.+)\/([a-z]*)$/

export const MatchSchema = z
  .strictObject({
    topic: stringList('a topic glob or /regex/, or a list of them').optional(),
    ids: stringList('a list of room ids').optional(),
  })
  .refine((m) => (m.topic?.length ?? 0) + (m.ids?.length ?? 0) > 0, {
    message: 'match needs a topic (glob or /regex/) or room ids',
  })

export const GroupSchema = z.strictObject({
  name: z
    .string({ error: 'every group needs a name (used in logs, stats and point pools)' })
    .min(1, 'group name cannot be empty')
    .max(64, 'group name is at most 64 characters'),
  match: MatchSchema,
  skills: z.record(z.string(), z.unknown()).default({}),
  accounts: GroupAccountsSchema,
})

export const DefaultsSchema = z
  .strictObject({ skills: z.record(z.string(), z.unknown()).default({}) })
  .default({ skills: {} })

/** The operator console and brand API (CONTRACT §8, src/console/). Read once, at start. */
export const ConsoleSchema = z
  .strictObject({
    port: z
      .number({ error: 'console.port must be a number' })
      .int('console.port must be a whole number')
      .min(0, 'console.port is 0 (off) or a port 1-65535')
      .max(65535, 'console.port is 0 (off) or a port 1-65535')
      .default(7350)
      .describe('HTTP port of the console and the API; 0 turns it off'),
    host: z
      .string({ error: 'console.host is an address to listen on, like 127.0.0.1' })
      .min(1)
      .default('127.0.0.1')
      .describe('address to listen on; anything but 127.0.0.1/localhost/::1 requires the token'),
    tokenEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'tokenEnv is the NAME of an environment variable, not the token itself')
      .default('SIYU_CONSOLE_TOKEN')
      .describe('name of the environment variable holding the operator token (API bearer, console login)'),
    trustProxy: z
      .boolean({ error: 'console.trustProxy is true or false' })
      .default(false)
      .describe(
        'behind a reverse proxy: take the client from X-Forwarded-For (the failed-login limit is per client) and https from X-Forwarded-Proto (Secure cookies); only when every request comes through the proxy',
      ),
  })
  .default({ port: 7350, host: '127.0.0.1', tokenEnv: 'SIYU_CONSOLE_TOKEN', trustProxy: false })

export type ConsoleSettings = z.output<typeof ConsoleSchema>

/** The known top-level keys (each section is validated on its own). */
export const TopLevelKeys = z.strictObject({
  $schema: z.unknown().optional(),
  bot: z.unknown().optional(),
  ai: z.unknown().optional(),
  console: z.unknown().optional(),
  defaults: z.unknown().optional(),
  groups: z.unknown().optional(),
  accounts: z.unknown().optional(),
  media: z.unknown().optional(),
})
