import { z } from 'zod'
import { defineSkill } from '../../src/engine/Skill.js'

/** welcome — the entry ritual. (skeleton: being implemented) */
export const WelcomeSkill = defineSkill({
  name: 'welcome',
  description: 'the entry ritual: one welcome that @s every newcomer of a batch',
  config: z.looseObject({}),
})
