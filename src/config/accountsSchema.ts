import { z } from 'zod'
import { stringList } from './common.js'

/**
 * Many accounts, one bot (CONTRACT §9): the top-level `accounts:` list and a group's
 * `accounts:` preference. Only environment variable NAMES are written in the config; the
 * tokens themselves stay in the environment.
 */

const envName = (what: string) =>
  z
    .string({ error: `${what} is the NAME of an environment variable` })
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, `${what} is the NAME of an environment variable (like SIYU_TOKEN_HELPER1), not the value itself`)

export const AccountSchema = z.strictObject({
  id: z
    .string({ error: 'every account needs an id (like helper1)' })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'an account id is 1–32 letters, digits, _ or - (like helper1)')
    .describe('the account’s name in this config, logs and groups’ accounts lists'),
  tokenEnv: envName('tokenEnv').describe('env var holding this account’s puppet service token'),
  endpointEnv: envName('endpointEnv').optional().describe('env var holding host:port of its puppet service (else discovery)'),
  noTlsEnv: envName('noTlsEnv')
    .optional()
    .describe('env var that is "true" when its puppet service runs without TLS (default: WECHATY_PUPPET_SERVICE_NO_TLS_INSECURE_CLIENT)'),
})

export type AccountSettings = z.output<typeof AccountSchema>

export const AccountsSchema = z
  .array(AccountSchema, { error: 'accounts is a list of { id, tokenEnv, endpointEnv? }' })
  .optional()
  .describe('several WeChat accounts serving the groups; without it: one account from WECHATY_* variables')

/** A group's `accounts:`: which accounts may serve its rooms, in order of preference. */
export const GroupAccountsSchema = stringList('a list of account ids').optional().describe('which accounts may serve this group, in order of preference (default: all, in the order of accounts:)')

/** How long a serving account may be away before another takes its rooms over. */
export const TakeoverSchema = z
  .number({ error: 'takeoverSeconds must be a number of seconds' })
  .int('takeoverSeconds must be a whole number')
  .min(1, 'takeoverSeconds must be at least 1')
  .max(55, 'takeoverSeconds is at most 55 (the takeover must happen within 60 s)')
  .optional()
  .describe('seconds a serving account may be logged out or disconnected before another takes over its rooms (default 45)')

export const DEFAULT_TAKEOVER_SECONDS = 45
