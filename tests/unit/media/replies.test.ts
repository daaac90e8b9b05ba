import { describe, expect, it } from 'vitest'
import { FakeClock } from '../../../src/clock/FakeClock.js'
import { SendQueue, type MediaOutcome } from '../../../src/send/SendQueue.js'
import type { MediaItem } from '../../../src/send/Item.js'
import { SKILLS } from '../../../skills/index.js'
import { configErrors } from '../../helpers/configErrors.js'
import { harness } from '../../helpers/harness.js'
import { MENTION_END } from '../../../src/text/Outgoing.js'

/**
 * Media in replies (CONTRACT §10): any reply slot takes a list of texts and `{ media }`, sent
 * in order as separate messages through the same queue — a media item never merged into a
 * text, counted against the rate limits like one.
 */

const MEDIA = `
media:
  rules: { image: media/群规.png }
  pricelist: { file: media/价目表.pdf }
`

const config = (skills: string, media = MEDIA) => `
bot: { admins: [wxid_boss] }
${media}
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
${skills}
`

describe('a reply as a list of texts and media', () => {
  it('goes out in order, each item its own message, and the texts render their variables', async () => {
    const h = await harness(
      config(`      autoreply:
        rules:
          - keywords: [价目表]
            reply: ["{name}，价目表在这里～", { media: pricelist }, "有问题随时问"]`),
    )
    const room = h.room('粉丝1群')
    await h.say(room, h.member('小红'), '有价目表吗')
    expect(h.texts(room.id)).toEqual(['小红，价目表在这里～', '[media pricelist]', '有问题随时问'])
  })

  it('every reply slot of the contract takes it: welcome, gate, shop, live reminders (with the preview’s card after them)', async () => {
    const h = await harness(
      config(`      welcome: { text: ["欢迎 {names}", { media: rules }], batchSeconds: 0 }
      shop:
        items: [{ id: s, name: 小样, price: 1, delivery: admin }]
        listFooter: ["发「兑换 {example}」即可兑换", { media: pricelist }]
      live:
        lives:
          - { id: a1, title: 新品直播, start: "2026-11-26 12:00", preview: ["1. 精华", { media: rules }] }
        remind: [1h]
        remindText: ["【直播预告】{title}\\n{preview}"]`),
    )
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('阿花')])
    expect(h.texts(room.id)).toEqual([`欢迎 @阿花${MENTION_END}`, '[media rules]'])
    await h.say(room, h.member('阿花'), '积分商城')
    expect(h.texts(room.id).slice(2)).toEqual([expect.stringContaining('发「兑换 s」即可兑换'), '[media pricelist]'])
    // the clock starts 10:00 Shanghai: the 1h reminder of a 12:00 live is at 11:00
    await h.clock.advance(3600_000)
    expect(h.texts(room.id).slice(4)).toEqual(['【直播预告】新品直播\n1. 精华', '[media rules]'])
  })

  it('an unknown media name is a config error where it is written, naming the known ones', () => {
    const errors = configErrors(
      config(`      autoreply:
        rules:
          - exact: 群规
            reply: ["群规如下", { media: rulez }]`),
      SKILLS,
    )
    expect(errors).toEqual([expect.stringMatching(/^bot\.yaml:15:38: unknown media "rulez" \(did you mean "rules"\?\)/)])
  })

  it('a media item is ONE kind, and a reply item is a text or { media }', () => {
    const errors = configErrors(
      config(
        `      autoreply:
        rules:
          - exact: 群规
            reply: ["群规如下", { media: rules, text: x }]`,
        `media:
  rules: { image: media/a.png, file: media/b.pdf }`,
      ),
      SKILLS,
    )
    expect(errors.join('\n')).toMatch(/bot\.yaml:4:38: a media item is ONE of image, file, link or miniProgram/)
    expect(errors.join('\n')).toMatch(/bot\.yaml:12:45: unknown key "text"; known keys: media/)
  })
})

describe('media items in the send queue', () => {
  it('count against roomPerMinute like a text, and are never merged into a text', async () => {
    const h = await harness(
      config(`      welcome: { text: ["欢迎 {names}", { media: rules }], batchSeconds: 0 }
      checkin: {}`),
      { limits: { roomPerMinute: 2, totalPerMinute: 60 } },
    )
    const room = h.room('粉丝1群')
    await h.join(room, [h.member('阿花')])
    for (const n of ['甲', '乙', '丙', '丁', '戊']) await h.say(room, h.member(n), '签到')
    await h.clock.advance(3 * 60_000)
    const sent = h.sent.filter((s) => s.to === room.id)
    expect(sent[0]!.text).toBe(`欢迎 @阿花${MENTION_END}`)
    expect(sent[1]).toMatchObject({ media: 'rules', text: '[media rules]' })
    // the check-ins merged with each other, never into the media message
    expect(sent.slice(2).every((s) => s.media === undefined)).toBe(true)
    expect(sent.slice(2).map((s) => s.text).join('\n').match(/签到成功/g)).toHaveLength(5)
    // at most 2 messages in any 60 s, the media item counted: the check-ins wait a minute
    for (const s of sent) expect(sent.filter((o) => o.at >= s.at && o.at < s.at + 60_000).length).toBeLessThanOrEqual(2)
    expect(sent.filter((o) => o.at < sent[0]!.at + 60_000)).toHaveLength(2)
    expect(sent[2]!.at - sent[0]!.at).toBeGreaterThanOrEqual(60_000)
  })

  it('a reply’s later text never passes its media item to merge with an earlier text', async () => {
    const clock = new FakeClock()
    const sent: string[] = []
    const q = new SendQueue(
      {
        send: async (_to, text) => void sent.push(text),
        sendMedia: async (_to, m: MediaItem): Promise<MediaOutcome> => (sent.push(`[${m.name}]`), { as: 'media' }),
      },
      { clock, limits: { roomPerMinute: 2, totalPerMinute: 60 }, gapMs: [0, 0] },
    )
    // a backlog: two messages a minute; then an informational reply in three parts
    void q.enqueue('r@chatroom', ['first'], { kind: 'owed' })
    const parts = [
      q.enqueue('r@chatroom', ['A'], { kind: 'info' }),
      q.enqueue('r@chatroom', [], { kind: 'info', media: { name: 'card', kind: 'link' } }),
      q.enqueue('r@chatroom', ['B'], { kind: 'info' }),
    ]
    await clock.advance(61_000)
    await Promise.all(parts)
    // A fills the owed message; B may not join it: it would pass the card
    expect(sent).toEqual(['first\nA', '[card]', 'B'])
  })
})
