import { describe, expect, it } from 'vitest'
import { mock } from 'wechaty-puppet-mock'
import { RehearsalPuppet } from '../../../src/sandbox/RehearsalPuppet.js'

function world() {
  const mocker = new mock.Mocker()
  const puppet = new RehearsalPuppet({ mocker })
  puppet.on('error', () => {})
  const bot = mocker.createContact({ name: 'bot', id: 'wxid_bot' })
  const alice = mocker.createContact({ name: 'Alice', id: 'wxid_alice' })
  const room = mocker.createRoom({ topic: 'VIP1群', memberIdList: [bot.id], id: 'vip1@chatroom' })
  mocker.login(bot)
  const next = <T>(event: string) => new Promise<T>((resolve) => puppet.once(event as never, resolve as never))
  return { puppet, alice, room, next }
}

describe('RehearsalPuppet (the test and sandbox stand-in for WeChat)', () => {
  it('roomAdd is an invite the contact accepts: a real room-join; roomDel a real room-leave', async () => {
    const { puppet, alice, room, next } = world()
    const joined = next<{ inviteeIdList: string[]; roomId: string; inviterId: string }>('room-join')
    await puppet.roomAdd(room.id, alice.id)
    expect(room.payload.memberIdList).not.toContain(alice.id) // not before accepting
    expect(await joined).toMatchObject({ inviteeIdList: [alice.id], roomId: room.id, inviterId: 'wxid_bot' })
    expect(await puppet.roomMemberList(room.id)).toContain(alice.id)
    const left = next<{ removeeIdList: string[]; roomId: string }>('room-leave')
    await puppet.roomDel(room.id, alice.id)
    expect(await left).toMatchObject({ removeeIdList: [alice.id], roomId: room.id })
    expect(await puppet.roomMemberList(room.id)).not.toContain(alice.id)
  })

  it('failAdds / failRemoves play a bot that may not', async () => {
    const { puppet, alice, room } = world()
    puppet.failAdds = 1
    puppet.failRemoves = 1
    await expect(puppet.roomAdd(room.id, alice.id)).rejects.toThrow('操作太频繁')
    await expect(puppet.roomDel(room.id, alice.id)).rejects.toThrow('not the room owner')
  })

  it('a friend request is a friendship event with its hello; accepting makes a friend', async () => {
    const { puppet, alice, next } = world()
    const ev = next<{ friendshipId: string }>('friendship')
    const id = puppet.requestFriend(alice, '我是希思黎粉丝')
    expect((await ev).friendshipId).toBe(id)
    expect(await puppet.friendshipRawPayload(id)).toMatchObject({ contactId: alice.id, hello: '我是希思黎粉丝', type: 2 })
    expect(puppet.isFriend(alice.id)).toBe(false)
    await puppet.friendshipAccept(id)
    expect(puppet.isFriend(alice.id)).toBe(true)
    await expect(puppet.friendshipAccept('nope')).rejects.toThrow('no friend request')
  })
})
