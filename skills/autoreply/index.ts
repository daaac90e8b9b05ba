import { z } from 'zod'
import { defineSkill } from '../../src/engine/Skill.js'

/** autoreply — keywords first, then the model. (skeleton: being implemented) */
export const AutoreplySkill = defineSkill({
  name: 'autoreply',
  description: 'answers questions: keyword/regex/exact rules first, then the model',
  config: z.looseObject({}),
})
