import { Deliveries, type Delivery } from '../../src/engine/Deliveries.js'
import type { Member } from '../../src/engine/Skill.js'
import { splitSegments, type Mention, type Segment } from '../../src/text/Outgoing.js'
import { PostCatalog, type PostsCtx } from './PostCatalog.js'

/**
 * A post in one room: the core's delivery state machine (src/engine/Deliveries.ts — the one
 * live's reminders use) with what a post is. An `after: joined` post keeps who it @s and the
 * `{points}` it said, so a restart re-sends the same words.
 */
export interface PostDelivery extends Delivery {
  post: string
  /** The occurrence, local time (`2026-11-27 09:00`), or `now …` for `#post now`. */
  occ: string
  mentions?: Member[]
  points?: number
}

export function postDeliveries(ctx: PostsCtx): Deliveries<PostDelivery> {
  return new Deliveries<PostDelivery>(ctx as never, ctx.memory.inFlight, {
    messages: (d) => {
      const post = new PostCatalog(ctx).byId(d.post)
      if (!post) return 'the post was deleted'
      const names: Mention[] = (d.mentions ?? []).map((m) => ({ mention: m.id, name: m.name }))
      const segments = ctx.render(post.send, { names, count: names.length, points: d.points ?? 0 })
      // a long list of names outgrows one message: cut between mentions, never inside one
      return splitSegments(segments) as Segment[][]
    },
    tag: (d) => postTag(d.post),
    // a post is a message the operator wrote as one: never merged with a backlog's texts
    // a post goes out as the operator wrote it, never inside another message
    alone: () => 'person',
    what: () => 'post',
  })
}

/** The send-queue tag of a post's texts: deleting it withdraws what still waits. */
export function postTag(id: string): string {
  return `post:${id}`
}
