import type { Skill } from '../src/engine/Skill.js'
import { AutoreplySkill } from './autoreply/index.js'
import { ChainSkill } from './chain/index.js'
import { CheckinSkill } from './checkin/index.js'
import { DigestSkill } from './digest/index.js'
import { GateSkill } from './gate/index.js'
import { GuardSkill } from './guard/index.js'
import { LiveSkill } from './live/index.js'
import { NudgeSkill } from './nudge/index.js'
import { PingSkill } from './ping/index.js'
import { PostsSkill } from './posts/index.js'
import { TagsSkill } from './tags/index.js'
import { PointsSkill } from './points/index.js'
import { ShopSkill } from './shop/index.js'
import { WelcomeSkill } from './welcome/index.js'

/**
 * Every skill, in routing order: a message goes through them top to bottom and the first
 * that handles it ends the chain. Triggers (subscribe, list, 接龙…) come first; keyword and
 * model answers come last, so a command is never mistaken for a question. The first slot
 * is guard's (it must see every message before anyone answers it: a `screen`, it even goes
 * before admin commands, and it alone takes cards and images). digest comes next: it keeps
 * (for the day's summary) every message that got past guard and never ends the chain.
 * checkin comes right before autoreply: its activity points (checkin.activity) count only
 * what no other skill took as a trigger or command (CONTRACT §12) — its own triggers are no
 * one else's. Private messages and friend requests follow the same order among the skills
 * that take them (tags, gate).
 */
export const SKILLS: readonly Skill<any>[] = [
  GuardSkill,
  DigestSkill,
  WelcomeSkill,
  ChainSkill,
  TagsSkill,
  ShopSkill,
  PointsSkill,
  GateSkill,
  LiveSkill,
  PostsSkill,
  PingSkill,
  NudgeSkill,
  CheckinSkill,
  AutoreplySkill,
]
