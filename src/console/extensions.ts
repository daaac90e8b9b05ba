import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { z } from 'zod'
import type { GroupConfig } from '../config/loadConfig.js'
import type { ConsoleDeps } from './ConsoleDeps.js'
import type { Via } from './auth.js'

// what a section needs from the console, in one import (skills/<name>/console…)
export { ApiError, iso, type ConsoleDeps } from './ConsoleDeps.js'
export { ErrorBody, GroupName } from './schemas.js'
export type { Via } from './auth.js'

export type ZodApp = FastifyInstance<any, any, any, any, ZodTypeProvider>

/** What a section's routes get: the app (under the same auth, CSRF, errors), the bot, and the audit line. */
export interface ConsoleApi {
  app: ZodApp
  deps: ConsoleDeps
  /** Who is asking (`console` for a browser session, `api` for the bearer token). */
  via(req: FastifyRequest): Via
  /** Every change is an audit line naming `console` or `api`. */
  audit(req: FastifyRequest, action: string, fields: Record<string, unknown>): void
}

/**
 * A section of the console: API routes under `/api/…`, a page in the menu, metrics. A skill
 * declares its own next to its commands — `defineSkill({ …, console: section })` — and the
 * console collects them from the bot's skills (the shop's orders, the live desk, guard's
 * removals); the core keeps only what is no skill's (groups, stats, hand-offs, members,
 * system). A skill's section is on while the skill is on in at least one group of the current
 * config: otherwise its menu entry, page, routes, OpenAPI paths and metrics are absent (a
 * `#reload` turns them on and off; routes answer 404 while off).
 */
export interface ConsoleSection {
  /** One word: the page's URL (`/ext/<id>.js`) and the menu's anchor (`#/x/<id>`). */
  id: string
  /** The menu label and the page's heading, Chinese first: `订单 Orders`. */
  title: string
  /** The menu's anchor instead of `/x/<id>` (the live desk keeps `#/lives`, its address from before sections). */
  path?: string
  /** Where in the menu: the core's pages are 总览 10, 转人工 20, 会员 40; default 100, then by id. */
  order?: number
  /** Register the section's routes (paths under /api/; JSON; throw ApiError for 4xx). */
  routes?(api: ConsoleApi): void
  /**
   * Absolute path of an ES module served at `/ext/<id>.js`. It exports
   * `render(root: HTMLElement, api: { get(path), send(method, path, body?) })`; the console
   * calls it when the section is opened. It may import the console's helpers from `/lib.js`
   * (`h`, `label`, `table`, `when`, `errorBox`) and may export `groupCard(detail)`: a card
   * for a group's page, given `GET /api/groups/<name>` (see `groupFields`).
   */
  page?: string
  /** Add the section's numbers to `GET /metrics` (prom-client metrics in this registry; read when scraped). */
  metrics?(registry: Registry, deps: ConsoleDeps): void
  /**
   * Fields the section adds to a group's detail (`GET /api/groups/<name>`, the group page):
   * their zod shape (documented in the OpenAPI) and their values for a group. Present whenever
   * the skill is installed, so the response's shape does not change with a reload.
   */
  groupFields?: {
    shape: z.ZodRawShape
    read(deps: ConsoleDeps, group: GroupConfig): Record<string, unknown>
  }
}

declare module '../engine/Skill.js' {
  interface SkillExtensions {
    /** The skill's section of the operator console (src/console/extensions.ts, docs/console.md). */
    console?: ConsoleSection
  }
}

/**
 * Sections that are no skill's, always on (none in the bot itself: an embedding program or a
 * test may add one). Skills declare theirs with `defineSkill({ console })`.
 */
export const CONSOLE_SECTIONS: ConsoleSection[] = []
