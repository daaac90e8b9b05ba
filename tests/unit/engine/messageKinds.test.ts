import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { defineSkill, type IncomingText, type MessageKind } from '../../../src/engine/Skill.js'
import { MAX_INCOMING_LENGTH } from '../../../src/engine/Engine.js'
import { harness } from '../../helpers/harness.js'

/** Skills that record what reaches them: one takes texts only, one opts into cards, one screens. */
function recorder(name: string, extra: { kinds?: readonly MessageKind[]; screen?: boolean; handles?: (m: IncomingText) => boolean } = {}) {
  const seen: IncomingText[] = []
  const skill = defineSkill({
    name,
    description: name,
    config: z.strictObject({}).prefault({}),
    ...(extra.kinds ? { kinds: extra.kinds } : {}),
    ...(extra.screen ? { screen: true } : {}),
    onMessage(ctx) {
      seen.push(ctx.message)
      return extra.handles?.(ctx.message) ?? false
    },
  })
  return { skill, seen }
}

const CONFIG = `
bot: { admins: [wxid_boss] }
groups:
  - name: g
    match: { topic: "g*" }
    skills: { texts: {}, cards: {}, screen: {} }
`

async function setup() {
  const texts = recorder('texts')
  const cards = recorder('cards', { kinds: ['url', 'contact'] })
  const screen = recorder('screen', { kinds: ['text', 'other'], screen: true, handles: (m) => m.text.includes('stop') })
  const h = await harness(CONFIG, { skills: [texts.skill, cards.skill, screen.skill] })
  return { h, room: h.room('g1'), texts, cards, screen }
}

describe('engine: message kinds', () => {
  it('texts reach every skill; a card only the skills that list its kind; an image none of these', async () => {
    const { h, room, texts, cards, screen } = await setup()
    const post = (kind: MessageKind, type: string) =>
      h.engine.handleMessage({
        room,
        talker: h.member('A'),
        message: { id: `x${type}`, kind, card: { type, url: 'https://x.example' }, text: '', textWithoutMentions: '', mentionsBot: false, mentionIds: [], date: 0 },
      })
    await h.say(room, h.member('A'), 'hello')
    await post('url', 'Url')
    await post('contact', 'Contact')
    await post('miniProgram', 'MiniProgram')
    expect(texts.seen.map((m) => m.text)).toEqual(['hello'])
    expect(cards.seen.map((m) => [m.kind ?? 'text', m.card?.type])).toEqual([
      ['text', undefined],
      ['url', 'Url'],
      ['contact', 'Contact'],
    ])
    expect(screen.seen.map((m) => m.text)).toEqual(['hello'])
  })

  it('a screen goes before admin commands and the other skills; what it stops goes nowhere else', async () => {
    const { h, room, texts, cards, screen } = await setup()
    await h.say(room, h.member('A'), 'please stop')
    await h.say(room, h.member('Boss'), '#stats stop')
    expect(screen.seen.map((m) => m.text)).toEqual(['please stop', '#stats stop'])
    expect(texts.seen).toEqual([])
    expect(cards.seen).toEqual([])
    expect(h.sent).toEqual([]) // #stats was stopped too
    await h.say(room, h.member('Boss'), '#stats')
    expect(h.sent).toHaveLength(1)
  })

  it('an overlong text reaches only skills taking `other`, cut to what the engine reads', async () => {
    const { h, room, texts, cards, screen } = await setup()
    await h.say(room, h.member('A'), 'x'.repeat(MAX_INCOMING_LENGTH + 10))
    expect(texts.seen).toEqual([])
    expect(cards.seen).toEqual([])
    expect(screen.seen).toHaveLength(1)
    expect(screen.seen[0]).toMatchObject({ kind: 'other', card: { type: 'LongText' } })
    expect(screen.seen[0]!.text).toHaveLength(MAX_INCOMING_LENGTH)
  })
})
