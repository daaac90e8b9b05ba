import { fileURLToPath } from 'node:url'
import { ErrorBody, type ConsoleSection } from '../../../src/console/extensions.js'
import { IdParams } from '../../../src/console/schemas.js'
import { PostDesk } from './PostDesk.js'
import {
  CalendarQuery,
  CalendarResponse,
  DeliveriesQuery,
  DeliveriesResponse,
  MediaResponse,
  NowResult,
  PostBody,
  PostCreated,
  PostsResponse,
  SkipResult,
} from './schemas.js'

/**
 * 内容日历 / Calendar — the posts skill's section (CONTRACT §10): every group's posts and lives
 * on a week or month view, the delivery log (投放记录: what went where and when, or why not),
 * and posts added, edited, deleted, skipped or sent now from the page — through the skill's
 * own catalog and schedule (PostDesk.ts), so a post made here keeps every guarantee of the
 * YAML's. Declared in ../index.ts (`console: postsSection`); the page is `page.js`.
 */
export const postsSection: ConsoleSection = {
  id: 'posts',
  title: '内容日历 Calendar',
  path: '/calendar',
  order: 35,
  routes(api) {
    const { app, deps } = api
    const desk = new PostDesk(deps)
    const saved = async <T>(v: T): Promise<T> => {
      // answered once it is on disk
      await deps.store.durable()
      return v
    }
    app.get('/api/posts', { schema: { summary: 'every post: the config’s and the console’s, with its next occurrence', response: { 200: PostsResponse } } }, () => desk.list())
    app.post(
      '/api/posts',
      { schema: { summary: 'add a post for one or more groups (stored with the state; the same guarantees as the YAML’s)', body: PostBody, response: { 201: PostCreated, 400: ErrorBody } } },
      async (req, reply) => {
        const created = desk.create(req.body, api.via(req))
        api.audit(req, 'post.add', { post: created.id, groups: req.body.groups })
        return reply.code(201).send(await saved(created))
      },
    )
    app.put(
      '/api/posts/:id',
      { schema: { summary: 'change a console post (a config post is changed in the YAML: 409)', params: IdParams, body: PostBody, response: { 200: PostCreated, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        const changed = desk.update(req.params.id, req.body, api.via(req))
        api.audit(req, 'post.change', { post: changed.id, groups: req.body.groups })
        return saved(changed)
      },
    )
    app.delete(
      '/api/posts/:id',
      { schema: { summary: 'delete a console post: no more occurrences, what still waits to be sent is taken back', params: IdParams, response: { 200: PostCreated, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        const gone = desk.remove(req.params.id, api.via(req))
        api.audit(req, 'post.delete', { post: gone.id })
        return saved(gone)
      },
    )
    app.post(
      '/api/posts/:id/skip',
      { schema: { summary: 'skip the next occurrence only (as #post skip)', params: IdParams, response: { 200: SkipResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        const r = desk.skip(req.params.id, api.via(req))
        api.audit(req, 'post.skip', { post: r.id, skipped: r.skipped })
        return saved(r)
      },
    )
    app.post(
      '/api/posts/:id/now',
      { schema: { summary: 'send once, now, to every room of its groups (as #post now)', params: IdParams, response: { 200: NowResult, 400: ErrorBody, 404: ErrorBody, 409: ErrorBody } } },
      async (req) => {
        const r = desk.now(req.params.id, api.via(req))
        api.audit(req, 'post.now', { post: r.id, groups: r.groups, rooms: r.rooms })
        return saved(r)
      },
    )
    app.get(
      '/api/deliveries',
      { schema: { summary: 'the delivery log: each post in each room, sent, skipped or failed with why; newest first', querystring: DeliveriesQuery, response: { 200: DeliveriesResponse, 400: ErrorBody, 404: ErrorBody } } },
      (req) => desk.deliveries(req.query),
    )
    app.get(
      '/api/media',
      { schema: { summary: 'the config’s media items (what a post’s send may name)', response: { 200: MediaResponse } } },
      () => [...deps.config().media].map(([name, m]) => ({ name, kind: m.kind, ...(m.fallback ? { fallback: m.fallback } : {}) })),
    )
    app.get(
      '/api/calendar',
      { schema: { summary: 'every group’s posts and lives from a day, for some days (the content calendar)', querystring: CalendarQuery, response: { 200: CalendarResponse, 400: ErrorBody } } },
      (req) => desk.calendar(req.query),
    )
  },
  page: fileURLToPath(new URL('./page.js', import.meta.url)),
}
