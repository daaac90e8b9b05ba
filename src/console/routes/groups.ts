import type { z } from 'zod'
import type { ConsoleApi } from '../extensions.js'
import type { GroupDesk } from '../GroupDesk.js'
import { ErrorBody, GroupDetailCore, GroupParams, GroupsResponse, StatsQuery, StatsResponse } from '../schemas.js'

/** `sectionFields`: what the skills' sections add to a group's detail (`lives`), documented with the rest. */
export function groupRoutes(api: ConsoleApi, desk: GroupDesk, sectionFields: z.ZodRawShape): void {
  const { app } = api
  app.get('/api/groups', { schema: { summary: 'every group with its rooms, member counts and today’s numbers', response: { 200: GroupsResponse } } }, () => desk.list())
  app.get(
    '/api/groups/:name',
    { schema: { summary: 'a group’s leaderboard and upcoming lives', params: GroupParams, response: { 200: GroupDetailCore.extend(sectionFields), 404: ErrorBody } } },
    (req) => desk.detail(req.params.name),
  )
  app.get(
    '/api/stats',
    { schema: { summary: 'a group’s numbers per day (all rooms summed), oldest first', querystring: StatsQuery, response: { 200: StatsResponse, 400: ErrorBody, 404: ErrorBody } } },
    (req) => desk.stats(req.query.group, req.query.days),
  )
}
