import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { useBotWorld } from '../helpers/BotWorld.js'
import { waitFor } from '../helpers/waitFor.js'

// the codes file must exist when the bot reads its config
const codesDir = mkdtempSync(join(tmpdir(), 'siyu-e2e-codes-'))
const CODES = join(codesDir, 'coupon.txt')
writeFileSync(CODES, 'E2E-CODE-1\nE2E-CODE-2\n')
afterAll(() => rmSync(codesDir, { recursive: true, force: true }))

const CONFIG = `bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: { triggers: [签到] }
      points: {}
      shop:
        items:
          - { id: coupon, name: 20元券, price: 10, delivery: codes, codes: "${CODES}" }
          - { id: sample, name: 小样, price: 50, stock: 5, delivery: admin }
`

describe('shop, end to end over wechaty-puppet-service (gRPC)', () => {
  const used = useBotWorld('e2e-shop', CONFIG)

  it('a member checks in, redeems, gets a code privately; an admin ships an order and adjusts points', async () => {
    const { svc, bot } = used
    const alice = svc.contact('Alice', 'wxid_alice')
    const boss = svc.contact('老板', 'wxid_boss')
    const room = svc.room('粉丝1群', [alice, boss])
    const privateTo = (id: string) => svc.said.filter((s) => s.to === id && !s.roomId).map((s) => s.text)

    alice.say('签到').to(room)
    await svc.waitForText(room, 'Alice 签到成功 +10')
    alice.say('兑换 coupon').to(room)
    expect(await svc.waitForText(room, '兑换成功')).toBe('Alice 兑换成功：20元券，扣 10 分，剩 0 分（订单 1）')
    const code = await waitFor(() => privateTo(alice.id)[0], { what: 'the code, privately to Alice' })
    expect(code).toBe('【兑换券码】20元券：E2E-CODE-1\n订单 1，请妥善保存，勿转发他人')
    // the code is in no room and in no log line
    expect(svc.textsIn(room).join('\n')).not.toContain('E2E-CODE-1')
    expect(bot.stdout.join('\n')).not.toContain('E2E-CODE-1')

    alice.say('兑换 小样').to(room)
    await svc.waitForText(room, '小样需要 50 分，你现在有 0 分，还差 50 分')

    // an admin gives points with a real @mention
    boss.say('#points add @Alice 60 直播抽奖', [alice]).to(room)
    await svc.waitForText(room, '积分池 fans：Alice +60，现有 60 分（直播抽奖）')
    alice.say('兑换 sample').to(room)
    await svc.waitForText(room, '订单 2）')
    const notice = await waitFor(() => privateTo(boss.id).find((t) => t.includes('订单 2')), { what: 'the admin told privately' })
    expect(notice).toContain('Alice（wxid_alice）')
    expect(notice).toContain('小样')
    expect(notice).toContain('#order done 2')

    boss.say('#order list').to(room)
    expect(await svc.waitForText(room, '待处理订单')).toContain('2 · 小样 · Alice（wxid_alice）· 50 分')
    boss.say('#order done 2').to(room)
    await svc.waitForText(room, '订单 2 已标记完成：Alice 的 小样')
    alice.say('我的兑换').to(room)
    const mine = await svc.waitForText(room, '的兑换记录')
    expect(mine).toMatch(/^Alice 的兑换记录（最近 2 条）\n2 · 小样 · 50 分 · 已完成 · .+\n1 · 20元券 · 10 分 · 券码已私信 · /)

    // every order change and adjustment is an audit line naming who did it
    await bot.waitForLog((l) => l.audit === true && l.msg === 'order done' && l.order === '2' && l.by === 'wxid_boss', 'audit: order done')
    const audits = bot.logs.filter((l) => l.audit === true).map((l) => l.msg)
    expect(audits).toEqual(expect.arrayContaining(['order placed', 'order done: code delivered', 'points adjusted', 'order done']))
    expect(bot.logs.find((l) => l.msg === 'points adjusted')).toMatchObject({ member: 'wxid_alice', delta: 60, by: 'wxid_boss' })
  }, 60_000)
})
