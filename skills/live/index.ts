import { z } from 'zod'
import { defineSkill } from '../../src/engine/Skill.js'

/** live — livestream previews, reminders and subscriptions. (skeleton: being implemented) */
export const LiveSkill = defineSkill({
  name: 'live',
  description: 'livestream previews, reminders before the start, and @ of subscribers at the start',
  config: z.looseObject({}),
})
