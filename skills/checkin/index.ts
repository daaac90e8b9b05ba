import { z } from 'zod'
import { defineSkill } from '../../src/engine/Skill.js'

/** checkin — daily check-in points. (skeleton: being implemented) */
export const CheckinSkill = defineSkill({
  name: 'checkin',
  description: 'daily check-in points with streaks, a shared pool and a leaderboard',
  config: z.looseObject({}),
})
