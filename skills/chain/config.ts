import { z } from 'zod'
import { positiveInt, stringList } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/*
 * chain 的配置 / the chain skill's config (接龙, CONTRACT §12):
 *
 *   chain:
 *     members: false            # true：成员也能开接龙 / members may open chains too (default: admins only)
 *     joinTriggers: [接龙, +1]   # 「接龙」「+1」「接龙 备注」参加 / join ("接龙 <note>" too)
 *     cancelTriggers: [取消接龙]
 *     listTriggers: [接龙名单]
 *     confirmSeconds: 5          # 这段时间内的参加合并成一条确认 / joins inside this window get ONE confirmation
 */
export const ChainConfig = z.strictObject({
  members: z.boolean({ error: 'members is true or false' }).default(false).describe('true: members may open chains too (default: admins only)'),
  command: z
    .string()
    .regex(/^\S{1,10}$/u, 'command is one word (what follows the command prefix: #接龙)')
    .default('接龙')
    .describe('after bot.commandPrefix: "#接龙 <title> [限N人] [截止 20:00]" opens, "#接龙 结束" closes'),
  joinTriggers: stringList()
    .prefault(['接龙', '+1', '＋1'])
    .describe('the whole message joins; "<trigger> <note>" joins with a note'),
  cancelTriggers: stringList().prefault(['取消接龙']),
  listTriggers: stringList().prefault(['接龙名单']),
  confirmSeconds: z
    .number({ error: 'confirmSeconds must be a number of seconds' })
    .min(1, 'confirmSeconds is at least 1 (joins are confirmed together, never one message per joiner)')
    .max(60, 'confirmSeconds is at most 60 (a confirmation is owed within 2 minutes)')
    .default(5)
    .describe('joins, cancels and promotions inside this window get ONE confirmation'),
  maxNote: positiveInt('maxNote').max(100, 'maxNote is at most 100 characters').default(40).describe('a longer note is cut'),
  openText: template(['title', 'details', 'join', 'list', 'cancel'], 'said in the room when a chain opens').prefault(
    '【接龙】{title}{details}\n发「{join}」或「{join} 备注」参加，「{cancel}」退出，「{list}」看名单',
  ),
  joinedText: template(['title', 'names', 'count', 'total', 'limit'], 'one line of a confirmation: who joined in the window').prefault(
    '接龙「{title}」+{count}：{names}（共 {total}{limit} 人）',
  ),
  waitlistedText: template(['title', 'names', 'count', 'waiting'], 'who went on the waitlist in the window').prefault(
    '已满，候补：{names}（候补共 {waiting} 人，有人退出会按顺序递补）',
  ),
  cancelledText: template(['title', 'names', 'count', 'total'], 'who left in the window').prefault('已退出接龙「{title}」：{names}'),
  promotedText: template(['title', 'names'], 'the waitlisted members who moved up ({names} are real @mentions)').prefault(
    '{names} 候补转正，你已在接龙「{title}」名单里啦',
  ),
  closedText: template(['title', 'total', 'waiting', 'why'], 'the first line of the final list').prefault('【接龙结束】{title}（{why}）共 {total} 人'),
})

export type ChainConfig = z.output<typeof ChainConfig>
