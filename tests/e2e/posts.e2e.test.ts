import { copyFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { DateTime } from 'luxon'
import { types } from 'wechaty'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { BotWorld } from '../helpers/BotWorld.js'
import type { PuppetService } from '../helpers/PuppetService.js'
import { waitFor } from '../helpers/waitFor.js'

/**
 * A post due while the bot is down (killed with SIGKILL) goes out once after the restart —
 * at most 10 minutes late — in every room of the group, text and picture, over the real
 * transport; a further restart sends nothing again. (More than 10 minutes late: skipped with
 * a log line and a line per room in the delivery log — tests/unit/skills/posts.test.ts, on the
 * fake clock, since this test runs on the real one.)
 */

/** The next whole minute at least 40 s away, in Shanghai: when the post is due. */
function dueMinute(): DateTime {
  const t = DateTime.now().setZone('Asia/Shanghai').plus({ seconds: 40 }).startOf('minute').plus({ minutes: 1 })
  return t
}

const config = (due: DateTime) => `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
media:
  rules: { image: media/群规.png }
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      posts:
        - id: flash
          when: "${due.toFormat('yyyy-MM-dd HH:mm')}"
          send: ["限时快闪：今晚 8 点开抢", { media: rules }]
`

describe('posts end to end over wechaty-puppet-service (gRPC)', () => {
  let world: BotWorld
  let svc: PuppetService
  let rooms: Array<ReturnType<PuppetService['room']>>
  const due = dueMinute()

  beforeAll(async () => {
    world = await BotWorld.create('e2e-posts', config(due))
    await mkdir(join(world.dir, 'media'))
    await copyFile('config/media/群规.png', join(world.dir, 'media/群规.png'))
    svc = world.svc
    const alice = svc.contact('Alice', 'wxid_alice')
    rooms = [svc.room('粉丝1群', [alice]), svc.room('粉丝2群', [alice])]
  }, 60_000)
  afterAll(async () => world?.close())

  it('a post due while the bot was killed goes out once after the start, late by under 10 minutes', async () => {
    const first = await world.startBot()
    await first.waitForLog((l) => l.msg === 'post planned' && l.post === 'flash', 'the post planned')
    first.kill('SIGKILL')
    await first.exited
    // the bot is down when the post falls due
    await waitFor(() => Date.now() > due.toMillis() + 3_000 || undefined, { timeoutMs: 120_000, what: 'the post’s minute passing' })
    const second = await world.startBot()
    for (const room of rooms) {
      await waitFor(() => svc.said.filter((s) => s.roomId === room.id).length >= 2 || undefined, { timeoutMs: 30_000, what: `the post in ${room.payload.topic}` })
    }
    for (const room of rooms) {
      const said = svc.said.filter((s) => s.roomId === room.id)
      expect(said.map((s) => [s.type, s.text])).toEqual([
        [types.Message.Text, '限时快闪：今晚 8 点开抢'],
        [types.Message.Image, ''],
      ])
      expect(said[0]!.at - due.toMillis()).toBeLessThan(10 * 60_000)
    }
    // a restart after it went out: nothing again. An admin's #post list after the start is
    // answered after anything the start queued (jobs run at the login, before events)
    await second.stop()
    const third = await world.startBot()
    const boss = svc.contact('老板', 'wxid_boss')
    rooms[0]!.payload.memberIdList.push(boss.id)
    boss.say('#post list').to(rooms[0]!)
    await svc.waitForText(rooms[0]!, '本群的定时群发（1）', 30_000)
    expect(svc.said.filter((s) => s.roomId === rooms[0]!.id).map((s) => s.text)).toEqual(['限时快闪：今晚 8 点开抢', '', expect.stringContaining('flash · ')])
    expect(svc.said.filter((s) => s.roomId === rooms[1]!.id)).toHaveLength(2)
    expect(third.logs.filter((l) => l.msg === 'post queued')).toEqual([])
  }, 240_000)
})
