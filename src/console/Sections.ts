import { basename, dirname } from 'node:path'
import { Registry } from 'prom-client'
import type { z } from 'zod'
import type { ZodTypeProvider } from 'fastify-type-provider-zod'
import type { GroupConfig } from '../config/loadConfig.js'
import type { ConsoleDeps } from './ConsoleDeps.js'
import type { ConsoleApi, ConsoleSection, ZodApp } from './extensions.js'

interface Entry {
  section: ConsoleSection
  /** The skill that declared it; none for a section that is no skill's (always on). */
  skill: string | undefined
  /** Its own metrics, merged into `/metrics` while it is on. */
  registry: Registry
  /** Its routes as the OpenAPI document names them (`/api/orders/{id}/done`). */
  paths: Set<string>
}

/** Where a section is in the menu when it does not say (after the core's pages). */
const DEFAULT_ORDER = 100

/**
 * The console's sections: what the bot's skills declare (`defineSkill({ console })`) plus the
 * ones that are no skill's. Every installed skill's routes are registered once, at start (a
 * Fastify server cannot add routes later); whether a section is on is read from the current
 * config on every request, so a `#reload` that turns a skill on or off in its last group
 * shows or hides its menu entry, page, routes, OpenAPI paths and metrics without a restart.
 */
export class Sections {
  private readonly entries: Entry[]

  constructor(
    private readonly deps: ConsoleDeps,
    extra: readonly ConsoleSection[],
  ) {
    const declared = [
      ...deps.engine.deps.skills.flatMap((s) => (s.console ? [{ section: s.console, skill: s.name as string | undefined }] : [])),
      ...extra.map((section) => ({ section, skill: undefined })),
    ]
    const ids = new Set<string>()
    for (const { section } of declared) {
      if (!/^[\w-]+$/.test(section.id)) throw new Error(`console section id "${section.id}" is not one word ([A-Za-z0-9_-])`)
      if (ids.has(section.id)) throw new Error(`two console sections have the id "${section.id}"`)
      ids.add(section.id)
    }
    this.entries = declared
      .map((d) => ({ ...d, registry: new Registry(), paths: new Set<string>() }))
      .sort((a, b) => (a.section.order ?? DEFAULT_ORDER) - (b.section.order ?? DEFAULT_ORDER) || a.section.id.localeCompare(b.section.id))
    for (const e of this.entries) e.section.metrics?.(e.registry, deps)
  }

  /** The sections that are on now, in menu order. */
  on(): ConsoleSection[] {
    const enabled = this.enabledSkills()
    return this.entries.filter((e) => this.isOn(e, enabled)).map((e) => e.section)
  }

  /** The menu: the sections that are on and have a page (`GET /api/session`). */
  pages() {
    return this.on()
      .filter((s) => s.page)
      .map((s) => ({ id: s.id, title: s.title, module: `/ext/${s.id}.js`, ...(s.path ? { path: s.path } : {}), ...(s.order !== undefined ? { order: s.order } : {}) }))
  }

  /**
   * Register every section's routes and page, each in its own Fastify scope behind a hook
   * that answers 404 while the section is off (after the console's own auth hook: a caller
   * without the token learns nothing from the difference).
   */
  async register(app: ZodApp, api: ConsoleApi): Promise<void> {
    for (const e of this.entries) {
      await app.register(async (scope) => {
        scope.addHook('onRoute', (route) => {
          if (!route.schema?.hide) e.paths.add(openApiPath(route.url))
        })
        scope.addHook('onRequest', (_req, reply, done) => (this.isOn(e) ? done() : void reply.code(404).send({ error: 'not found' })))
        const sectionApp = scope.withTypeProvider<ZodTypeProvider>()
        e.section.routes?.({ ...api, app: sectionApp })
        const page = e.section.page
        if (page) sectionApp.get(`/ext/${e.section.id}.js`, { schema: { hide: true } }, (_req, reply) => reply.sendFile(basename(page), dirname(page)))
      })
    }
  }

  /** The OpenAPI document without the paths of the sections that are off. */
  openapi<D extends { paths?: Record<string, unknown> }>(doc: D): D {
    const enabled = this.enabledSkills()
    const hidden = new Set(this.entries.filter((e) => !this.isOn(e, enabled)).flatMap((e) => [...e.paths]))
    if (hidden.size === 0 || !doc.paths) return doc
    return { ...doc, paths: Object.fromEntries(Object.entries(doc.paths).filter(([p]) => !hidden.has(p))) }
  }

  /** The metrics registries of the sections that are on (merged into `/metrics` when scraped). */
  registries(): Registry[] {
    const enabled = this.enabledSkills()
    return this.entries.filter((e) => this.isOn(e, enabled)).map((e) => e.registry)
  }

  /** The fields every installed section adds to a group's detail (their schemas). */
  groupShape(): z.ZodRawShape {
    return Object.assign({}, ...this.entries.map((e) => e.section.groupFields?.shape ?? {}))
  }

  /** Their values for one group. */
  groupValues(group: GroupConfig): Record<string, unknown> {
    return Object.assign({}, ...this.entries.map((e) => e.section.groupFields?.read(this.deps, group) ?? {}))
  }

  close(): void {
    for (const e of this.entries) e.registry.clear()
  }

  private enabledSkills(): Set<string> {
    return new Set(this.deps.config().groups.flatMap((g) => [...g.skills.keys()]))
  }

  private isOn(e: Entry, enabled = this.enabledSkills()): boolean {
    return e.skill === undefined || enabled.has(e.skill)
  }
}

/** Fastify's `/api/orders/:id/done` as OpenAPI writes it: `/api/orders/{id}/done`. */
function openApiPath(url: string): string {
  return url.replace(/:(\w+)/g, '{$1}')
}
