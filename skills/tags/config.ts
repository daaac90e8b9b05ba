import { z } from 'zod'
import { stringList } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/**
 * The tags skill's per-group settings: what members type to see their own tags. The rule
 * tags themselves are brand-wide, in `bot.tags` (src/config/brandSchema.ts).
 */
export const TagsConfig = z.strictObject({
  meTriggers: stringList().prefault(['我的标签']).describe('the whole message, trimmed; also works in a private chat'),
  meReply: template(['name', 'tags']).prefault('{name} 的标签：{tags}'),
  meNone: template(['name']).prefault('{name} 还没有标签～'),
})

export type TagsConfig = z.output<typeof TagsConfig>
