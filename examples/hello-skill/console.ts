import { fileURLToPath } from 'node:url'
import { Gauge } from 'prom-client'
import { z } from 'zod'
import { ApiError, ErrorBody, GroupName, iso, type ConsoleSection } from '../../src/console/extensions.js'
import { Greetings } from './Greetings.js'

/*
 * hello's console section "早安 Hellos": a menu entry (#/x/hello), one route, its page, a
 * metric. Declared in index.ts as `console: helloSection`; on while a group has hello.
 */

export const HelloQuery = z.object({
  group: GroupName,
  limit: z.coerce.number({ error: 'limit is a number (1-100)' }).int('limit is a whole number').min(1, 'limit is 1 to 100').max(100, 'limit is 1 to 100').default(20),
})

export const HelloResponse = z.object({
  group: z.string(),
  total: z.number().int().describe('greetings in this group, ever'),
  greeters: z.array(z.object({ memberId: z.string(), name: z.string(), count: z.number().int(), last: z.string().describe('ISO 8601, bot.timezone') })).describe('most first'),
})

export const helloSection: ConsoleSection = {
  id: 'hello',
  title: '早安 Hellos',
  routes(api) {
    const { app, deps } = api
    app.get(
      '/api/hello',
      { schema: { summary: "hello: a group's greeters, most first", querystring: HelloQuery, response: { 200: HelloResponse, 400: ErrorBody, 404: ErrorBody } } },
      (req) => {
        const { group, limit } = req.query
        // a bad query never gets here: the schema answered 400 already
        if (!deps.engine.findGroup(group)) throw new ApiError(404, `no group "${group}" in the config`)
        const book = Greetings.of(deps.store, group)
        return {
          group,
          total: book.total(),
          greeters: book.top(limit).map((g) => ({ memberId: g.id, name: g.name, count: g.count, last: iso(deps, g.last) })),
        }
      },
    )
  },
  metrics(registry, deps) {
    new Gauge({
      name: 'siyu_hello_greetings',
      help: 'Greetings ever, per group that has hello',
      labelNames: ['group'],
      registers: [registry],
      collect() {
        for (const g of deps.config().groups) if (g.skills.has('hello')) this.set({ group: g.name }, Greetings.of(deps.store, g.name).total())
      },
    })
  },
  page: fileURLToPath(new URL('./page.js', import.meta.url)),
}
