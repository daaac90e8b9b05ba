import { z } from 'zod'
import { parseDuration } from '../time/duration.js'
import { compileOperatorRegex, OperatorRegexError } from '../text/operatorRegex.js'

/** Schema pieces the core and the skills share. */

/** A list of strings; a single string is taken as a list of one (`triggers: 签到`). */
export const stringList = (what = 'a list of texts') =>
  z
    .union([z.string(), z.array(z.string({ error: `expected ${what}` }))], { error: `expected ${what}` })
    .transform((v) => (typeof v === 'string' ? [v] : v).map((s) => s.trim()).filter((s) => s.length > 0))

export const positiveInt = (what: string) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).positive(`${what} must be above 0`)

export const nonNegativeInt = (what: string) =>
  z.number({ error: `${what} must be a number` }).int(`${what} must be a whole number`).min(0, `${what} must be 0 or more`)

/** `10m`, `1h`, `1d`, `30s` → milliseconds. */
export const duration = () =>
  z
    .string({ error: 'expected a duration like 10m, 1h or 1d' })
    .transform((s, ctx) => {
      const v = parseDuration(s)
      if (v === undefined) {
        ctx.addIssue({ code: 'custom', message: `"${s}" is not a duration; use a number and s, m, h or d (10m, 1h, 1d)` })
        return z.NEVER
      }
      return v
    })

/**
 * A regular expression given as text (JavaScript syntax); compiled once, here, at load, for
 * RE2's linear-time engine (src/text/operatorRegex.ts): no message can make it stall the bot.
 */
export const regexSource = (flags = 'u') =>
  z.string({ error: 'expected a regular expression' }).transform((s, ctx) => {
    try {
      return compileOperatorRegex(s, flags)
    } catch (err) {
      if (!(err instanceof OperatorRegexError)) throw err
      ctx.addIssue({ code: 'custom', message: `invalid regular expression /${s}/${flags}: ${err.detail}` })
      return z.NEVER
    }
  })
