import type { Skill } from '../src/engine/Skill.js'
import { PingSkill } from './ping/index.js'

/**
 * Every skill, in routing order: a message goes through them top to bottom and the first
 * that handles it ends the chain. Keyword and model answers come last, so a check-in or a
 * subscription is never mistaken for a question.
 */
export const SKILLS: readonly Skill<any>[] = [PingSkill]
