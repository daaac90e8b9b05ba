import type { z } from 'zod'

/*
 * What the config reads of a skill: its name, its schema, its checks and its summary. The
 * engine's Skill (src/engine/Skill.ts) extends this, so the config knows skills without
 * importing the engine (the engine reads the config, not the other way round).
 */

/** Facts a schema may depend on (live times are read in the bot's time zone). */
export interface SchemaEnv {
  timezone: string
  now: number
}

export interface CheckReport {
  /** An error at `path` under this skill's config. */
  error(path: ReadonlyArray<string | number>, message: string): void
  warn(path: ReadonlyArray<string | number>, message: string): void
}

/** A skill as `loadConfig`, `npm run check` and the JSON Schema see it. */
export interface SkillConfigSpec<C = unknown> {
  name: string
  /** One line for `npm run check` and the JSON Schema. */
  description: string
  /** Defaults, types and error messages in one place. */
  config: z.ZodType<C> | ((env: SchemaEnv) => z.ZodType<C>)
  /** Checks that need more than the schema (warnings, cross-field rules). */
  check?(config: C, report: CheckReport, env: SchemaEnv): void
  /** Lines for `npm run check`'s summary (upcoming lives...). */
  summary?(config: C, env: SchemaEnv): string[]
}
