import { copyFile, mkdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { types } from 'wechaty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotWorld } from '../helpers/BotWorld.js'
import type { PuppetService } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * Media over the real transport (CONTRACT §10): the bot as an operator starts it, a puppet
 * service (gRPC) wrapping a puppet-mock that records what it is asked to send. A picture, a
 * file, a link card and a mini-program card arrive in the room as those kinds, not as text;
 * a kind the account's puppet refuses goes out as the item's fallback text.
 */

const CONFIG = `bot:
  admins: [wxid_boss]
media:
  rules: { image: media/群规.png }
  pricelist: { file: media/价目表.pdf }
  live-card: { link: { url: "https://example.invalid/live", title: 今晚 8 点直播, description: 点开预约, thumb: media/live.jpg } }
  shop:
    miniProgram: { appid: wx0123456789, username: gh_abc@app, title: 积分商城, pagePath: pages/index, thumb: media/shop.jpg }
    fallback: "积分商城：群里发「积分商城」查看"
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      autoreply:
        rules:
          - exact: 素材
            reply: ["都在这里～", { media: rules }, { media: pricelist }, { media: live-card }, { media: shop }]
          - exact: 商城
            reply: { media: shop }
`

describe('media end to end over wechaty-puppet-service (gRPC)', () => {
  let world: BotWorld
  let svc: PuppetService
  let room: ReturnType<PuppetService['room']>
  let alice: ReturnType<PuppetService['contact']>

  beforeAll(async () => {
    world = await BotWorld.create('e2e-media', CONFIG)
    await mkdir(join(world.dir, 'media'))
    for (const f of ['群规.png', '价目表.pdf', 'live.jpg', 'shop.jpg']) await copyFile(join('config/media', f), join(world.dir, 'media', f))
    svc = world.svc
    alice = svc.contact('Alice', 'wxid_alice')
    room = svc.room('粉丝1群', [alice])
    await world.startBot()
  }, 90_000)
  afterAll(async () => world?.close())

  const inRoom = () => svc.said.filter((s) => s.roomId === room.id)

  it('a picture, a file, a link card and a mini-program card arrive as those kinds, in order, after the text', async () => {
    alice.say('素材').to(room)
    const said = await waitFor(() => (inRoom().length >= 5 ? inRoom() : undefined), { timeoutMs: 30_000, what: `five messages; got ${JSON.stringify(inRoom())}` })
    expect(said.map((s) => s.type)).toEqual([types.Message.Text, types.Message.Image, types.Message.Attachment, types.Message.Url, types.Message.MiniProgram])
    expect(said[0]!.text).toBe('都在这里～')
    const sent = svc.puppet.sentMedia.filter((m) => m.conversationId === room.id)
    expect(sent.map((m) => m.kind)).toEqual(['image', 'file', 'link', 'miniProgram'])
    expect(sent[0]).toMatchObject({ name: '群规.png', bytes: (await stat('config/media/群规.png')).size })
    expect(sent[1]).toMatchObject({ name: '价目表.pdf', bytes: (await stat('config/media/价目表.pdf')).size })
    expect(sent[2]!.payload).toMatchObject({ url: 'https://example.invalid/live', title: '今晚 8 点直播', description: '点开预约', thumbnailUrl: expect.stringMatching(/^data:image\/jpeg;base64,/) })
    expect(sent[3]!.payload).toMatchObject({ appid: 'wx0123456789', username: 'gh_abc@app', title: '积分商城', pagePath: 'pages/index', thumbUrl: expect.stringMatching(/^data:image\/jpeg;base64,/) })
  }, 60_000)

  it('a mini-program the account’s puppet refuses goes out as the fallback text; the bot carries on', async () => {
    svc.puppet.refuseMedia.add('miniProgram')
    const before = inRoom().length
    alice.say('商城').to(room)
    const text = await svc.waitForText(room, '积分商城：群里发「积分商城」查看', 30_000)
    expect(text).toBe('积分商城：群里发「积分商城」查看')
    expect(inRoom().slice(before).map((s) => s.type)).toEqual([types.Message.Text])
    await world.bot!.waitForLog((l) => l.msg === 'media item sent as its fallback text' && l.media === 'shop', 'the fallback logged')
    // and it still answers
    svc.puppet.refuseMedia.delete('miniProgram')
    alice.say('商城').to(room)
    await waitFor(() => inRoom().slice(before + 1).find((s) => s.type === types.Message.MiniProgram), { timeoutMs: 30_000, what: 'a mini-program card after the puppet accepts them again' })
  }, 60_000)
})
