import RandExp from 'randexp'
import type { RoomMatcher } from '../config/GroupMatcher.js'

/**
 * A room topic (and id) the group's `match` takes, so the sandbox can hold a room for each
 * configured group: a glob with its wildcards filled in, a sample of the regex, or the
 * configured room id.
 */
export function sampleRoom(groupName: string, matcher: RoomMatcher, n: number): { id: string; topic: string } {
  const { globs, regexes, ids } = matcher.patterns
  const id = ids.find((i) => i.includes('@')) ?? `sandbox-${n}@chatroom`
  const candidates: string[] = []
  for (const g of globs) if (!g.startsWith('!')) candidates.push(g.replace(/\*/g, '1').replace(/\?/g, 'A'))
  for (const r of regexes) {
    let gen: RandExp
    try {
      gen = new RandExp(r.source, r.flags.includes('i') ? 'i' : '')
    } catch {
      continue // RE2-only syntax (\x{…}, \p{Han}) RandExp cannot read: no sample from it
    }
    gen.max = 3
    gen.randInt = (a: number) => a // shortest, most readable samples
    for (let i = 0; i < 5; i++) candidates.push(gen.gen())
  }
  const topic = candidates.find((t) => t.trim() !== '' && matcher.matches({ id: 'x@chatroom', topic: t })) ?? groupName
  return { id, topic }
}
