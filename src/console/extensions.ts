import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { Registry } from 'prom-client'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { ConsoleDeps } from './ConsoleDeps.js'
import type { Via } from './auth.js'
import { ordersSection } from './sections/orders/index.js'
import { removalsSection } from '../../skills/guard/console.js'

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
 * A section of the console a skill contributes (the shop's orders, guard's removals):
 * API routes under `/api/…` and a page in the menu. The core sections (groups, inbox, lives,
 * members) are built in; everything else is registered in CONSOLE_SECTIONS below.
 */
export interface ConsoleSection {
  /** One word: the menu's anchor (`#/orders`) and the page's URL (`/ext/orders.js`). */
  id: string
  /** The menu label, Chinese first: `订单 Orders`. */
  title: string
  /** Register the section's routes (paths under /api/; JSON; throw ApiError for 4xx). */
  routes?(api: ConsoleApi): void
  /**
   * Absolute path of an ES module served at `/ext/<id>.js`. It exports
   * `render(root: HTMLElement, api: { get(path), send(method, path, body?) })`; the console
   * calls it when the section is opened.
   */
  page?: string
  /** Add the section's numbers to `GET /metrics` (prom-client metrics in this registry; read when scraped). */
  metrics?(registry: Registry, deps: ConsoleDeps): void
}

/**
 * Sections contributed by skills, in menu order (CONTRACT §8). Each lives in
 * `sections/<id>/` (index.ts: routes and page; a desk; its schemas) with its page in
 * `web/pages/<id>.js`, and is one import and one entry here:
 * - orders — the shop's orders: GET /api/orders, POST /api/orders/<id>/done|cancel
 * - (guard: `removals` — the removed members and pardon — comes the same way)
 */
export const CONSOLE_SECTIONS: ConsoleSection[] = [ordersSection, removalsSection]
