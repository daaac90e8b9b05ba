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

/** One thing on a group's calendar: `npm run check`'s next 7 days, the console's 内容日历. */
export interface CalendarEntry {
  at: number
  kind: 'post' | 'live'
  /** The post's or live's id in the group (what admins type). */
  id: string
  /** What it is, short: a live's title, a post's first words. */
  title: string
  /** config, console, command… */
  source?: string
  /** This occurrence will not go out (a skip date, `#post skip`): shown struck through. */
  skipped?: boolean
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
  /**
   * What the skill has on the group's calendar in [from, to) (posts, lives), from the config
   * alone: `npm run check`'s next 7 days. (The engine's Skill also passes the group's context,
   * for what is stored: the console's content calendar.)
   */
  calendar?(config: C, env: SchemaEnv, from: number, to: number): CalendarEntry[]
}
