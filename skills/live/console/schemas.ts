import { z } from 'zod'
import { GroupName } from '../../../src/console/extensions.js'
import type { ZonedTime } from '../../../src/time/ZonedTime.js'
import { liveEntry } from '../config.js'

/**
 * The live desk's API shapes (CONTRACT §8: `GET|POST /api/lives`, `DELETE /api/lives/<id>`,
 * `lives` in `GET /api/groups/<name>`). Where the API and the config overlap (a live's title,
 * start, link, preview) the config's own schema is used.
 */

/** A live's body: `groups` plus the config's own fields for a live (its id is given by the bot). */
export const liveBody = (time: ZonedTime) =>
  liveEntry(time)
    .omit({ id: true })
    .extend({
      groups: z
        .array(GroupName, { error: 'groups is a list of group names' })
        .min(1, 'name at least one group')
        .max(200)
        .refine((g) => new Set(g).size === g.length, 'a group is named twice'),
    })

export const LiveCreated = z.object({ id: z.string(), groups: z.array(z.string()) })

export const LivesResponse = z.array(
  z.object({
    id: z.string().describe('what DELETE /api/lives/<id> takes'),
    groups: z.array(z.string()),
    title: z.string(),
    start: z.string().describe('ISO 8601 with the offset of bot.timezone'),
    link: z.string().optional(),
    source: z.enum(['config', 'command']),
  }),
)

/** What the live desk adds to a group's detail (the group page's "upcoming lives"). */
export const GroupLives = {
  lives: z.array(z.object({ id: z.string(), title: z.string(), start: z.string(), link: z.string().optional(), source: z.enum(['config', 'command']) })),
}
