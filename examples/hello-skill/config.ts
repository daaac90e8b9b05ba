import { z } from 'zod'
import { stringList } from '../../src/config/common.js'
import { template } from '../../src/text/template.js'

/**
 * hello's YAML, under a group's `skills:` — defaults, types and error messages in one place
 * (a mistake is reported at its file:line:col by `npm run check`, at start and on #reload):
 *
 *   hello:
 *     triggers: [早安, 早]
 *     reply: "早安，{name}！这是你第 {count} 次来打招呼～"
 */
export const HelloConfig = z.strictObject({
  triggers: stringList().prefault(['早安']).describe('a whole message that counts as a greeting'),
  reply: template(['name', 'count'], 'the answer; {count} is how many times this member greeted').prefault('早安，{name}！这是你第 {count} 次来打招呼～'),
})

export type HelloConfig = z.output<typeof HelloConfig>
