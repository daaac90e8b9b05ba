import { z } from 'zod'
import type { SkillConfigSpec } from './skillSpec.js'
import { AccountsSchema, GroupAccountsSchema } from './accountsSchema.js'
import { AiSchema, BotSchema, ConsoleSchema, MatchSchema } from './schema.js'
import { MediaSectionSchema } from './mediaSchema.js'

/**
 * The config's JSON Schema, built from the same zod schemas that validate it, so an
 * operator's editor (VS Code + YAML extension) completes keys and flags mistakes as they type.
 */
export function configJsonSchema(skills: readonly SkillConfigSpec<any>[]): Record<string, unknown> {
  const env = { timezone: 'Asia/Shanghai', now: 0 }
  const skillMap = z
    .strictObject(
      Object.fromEntries(
        skills.map((s) => {
          const schema = typeof s.config === 'function' ? s.config(env) : s.config
          return [s.name, z.union([z.boolean(), schema]).optional().describe(`${s.name}: ${s.description}; false turns it off`)]
        }),
      ),
    )
    .describe('skills by name')
  const full = z.strictObject({
    $schema: z.string().optional(),
    bot: BotSchema,
    ai: AiSchema.describe('the model behind autoreply.ai (any OpenAI-compatible endpoint)'),
    console: ConsoleSchema.describe('the operator console and brand API (served by npm start)'),
    defaults: z.strictObject({ skills: skillMap.optional() }).optional().describe('skill settings every group starts from'),
    groups: z
      .array(
        z.strictObject({
          name: z.string().min(1).describe('label for logs, stats and point pools'),
          match: MatchSchema.describe('topic glob or /regex/, or room ids; first matching group wins'),
          skills: skillMap.optional(),
          accounts: GroupAccountsSchema,
        }),
      )
      .optional(),
    accounts: AccountsSchema,
    media: MediaSectionSchema,
  })
  const schema = z.toJSONSchema(full, { io: 'input', target: 'draft-7', unrepresentable: 'any' }) as Record<string, unknown>
  return { ...schema, title: 'siyu bot config', $id: 'https://siyu.invalid/siyu.schema.json' }
}
