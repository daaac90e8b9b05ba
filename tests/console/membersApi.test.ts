import { parse } from 'csv-parse/sync'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ChurnResponse, MemberListResponse, TimelineResponse } from '../../src/console/memberSchemas.js'
import { MemberResponse } from '../../src/console/schemas.js'
import { FakeClock } from '../../src/clock/FakeClock.js'
import { harness, type Harness } from '../helpers/harness.js'
import { harnessConsole } from '../helpers/harnessConsole.js'

const DAY = 86_400_000

const YAML = `
bot:
  timezone: Asia/Shanghai
  admins: [wxid_boss]
groups:
  - name: fans
    match: { topic: "粉丝*" }
    skills:
      checkin: {}
      gate: { keywords: [进粉丝群], capacity: 100 }
  - name: vip
    match: { topic: "VIP*" }
    skills:
      checkin: { pool: vip-pool }
`

/**
 * 会员 and 流失 over HTTP (the real ConsoleServer: auth, zod validation, OpenAPI), with the
 * data made by events on the fake clock: joins by a gate invite and by a member, talk,
 * check-ins, a leave, tags and points.
 */
describe('console API: the member list, profile, timeline and churn (CONTRACT §11)', () => {
  let h: Harness
  let c: Awaited<ReturnType<typeof harnessConsole>>
  // 2026-12-28 10:00 in Shanghai: the scenario crosses the year's end
  const clock = new FakeClock(Date.UTC(2026, 11, 28, 2, 0))
  const zs = { id: 'wxid_zs', name: '三哥', nick: '张三', alias: '三哥' }
  const ls = { id: 'wxid_ls', name: '李四' }
  const ww = { id: 'wxid_ww', name: '王五' }
  const zl = { id: 'wxid_zl', name: '赵六' }

  beforeAll(async () => {
    h = await harness(YAML, { clock })
    c = await harnessConsole(h)
    const fans1 = h.room('粉丝1群', 'fans1@chatroom')
    const fans2 = h.room('粉丝2群', 'fans2@chatroom')
    const vip = h.room('VIP群', 'vip@chatroom')
    h.actions.members.set(fans1.id, ['wxid_bot'])
    // 张三 asks the gate, is invited (the bot adds him), talks and checks in
    await h.dm(zs, '进粉丝群')
    await h.engine.handleJoin({ room: fans1, members: [zs], memberCount: 2, byBot: true })
    await h.say(fans1, zs, '大家好')
    await h.say(fans1, zs, '签到')
    // 李四 is invited by 张三 and never speaks
    await h.engine.handleJoin({ room: fans1, members: [ls], memberCount: 3, by: 'wxid_zs' })
    // 王五 comes into room 2 and leaves the next day
    await h.join(fans2, [ww])
    await clock.advance(DAY)
    await h.leave(fans2, [ww])
    // 赵六 is in the VIP group, tagged, with points
    await h.join(vip, [zl])
    h.engine.tags.add('wxid_zl', 'VIP', { source: 'admin', at: clock.now() })
    h.engine.points('vip-pool').adjust('wxid_zl', 200, 'adjust', { now: clock.now(), day: h.engine.time.dayKey(clock.now()), group: 'vip' })
    await clock.advance(9 * DAY)
    await h.say(fans1, zs, '新年快乐')
    await h.flush()
  })

  afterAll(async () => {
    await c?.close()
  })

  const list = async (query: string) => {
    const r = await c.call('GET', `/api/members?${query}`)
    expect(r.status, r.text).toBe(200)
    const body = MemberListResponse.parse(r.json)
    return { ...body, ids: body.items.map((i) => i.id) }
  }

  it('lists every member with the fixed shape: total, items { id, name, groups, points, lastActive, joined, tags }', async () => {
    const r = await c.call('GET', '/api/members?sort=name&order=asc')
    expect(r.status).toBe(200)
    expect(Object.keys(r.json).sort()).toEqual(['items', 'page', 'size', 'total'])
    expect(r.json.total).toBe(4)
    const zsItem = r.json.items.find((i: { id: string }) => i.id === 'wxid_zs')
    expect(zsItem).toMatchObject({ id: 'wxid_zs', name: '三哥', groups: ['fans'], points: 10, tags: [], status: 'in', via: '进粉丝群' })
    expect(zsItem.names).toEqual(['三哥', '张三'])
    expect(zsItem.lastActive).toMatch(/^2027-01-07T10:00:00\+08:00$/)
    expect(zsItem.joined).toMatch(/^2026-12-28T10:00:00\+08:00$/)
  })

  it('searches any name seen (a room alias, a nickname) or the id', async () => {
    expect((await list('q=张三')).ids).toEqual(['wxid_zs'])
    expect((await list(`q=${encodeURIComponent('三哥')}`)).ids).toEqual(['wxid_zs'])
    expect((await list('q=WXID_L')).ids).toEqual(['wxid_ls'])
    expect((await list('q=nobody')).total).toBe(0)
  })

  it('filters, alone and together: group, status, tags any/all/none, points, silence, joined between, via', async () => {
    // names sort in pinyin: 李四 (li), 三哥 (san), 王五 (wang), 赵六 (zhao)
    expect((await list('group=fans&status=in&sort=name&order=asc')).ids).toEqual(['wxid_ls', 'wxid_zs'])
    expect((await list('group=fans&status=left')).ids).toEqual(['wxid_ww'])
    expect((await list('status=left')).ids).toEqual(['wxid_ww'])
    expect((await list('group=vip')).ids).toEqual(['wxid_zl'])
    expect((await list('tags=VIP')).ids).toEqual(['wxid_zl'])
    expect((await list('tags=VIP,活跃粉&tagMode=all')).total).toBe(0)
    expect((await list('tags=VIP&tagMode=none&sort=name&order=asc')).ids).toEqual(['wxid_ls', 'wxid_zs', 'wxid_ww'])
    // no group: every pool summed; a group: its pool
    expect((await list('pointsMin=10&sort=points')).ids).toEqual(['wxid_zl', 'wxid_zs'])
    expect((await list('group=fans&pointsMin=10')).ids).toEqual(['wxid_zs'])
    expect((await list('pointsMin=10&pointsMax=100')).ids).toEqual(['wxid_zs'])
    expect((await list('pool=vip-pool&pointsMin=1')).ids).toEqual(['wxid_zl'])
    // 李四 never spoke and joined 10 days ago; 张三 spoke today
    expect((await list('group=fans&status=in&silentDays=7')).ids).toEqual(['wxid_ls'])
    expect((await list('group=fans&status=in&silentDays=0&sort=name&order=asc')).ids).toEqual(['wxid_ls', 'wxid_zs'])
    expect((await list('joinedFrom=2026-12-28&joinedTo=2026-12-28&sort=name&order=asc')).ids).toEqual(['wxid_ls', 'wxid_zs', 'wxid_ww'])
    expect((await list('joinedFrom=2026-12-29')).ids).toEqual(['wxid_zl'])
    expect((await list('via=进粉丝群')).ids).toEqual(['wxid_zs'])
    expect((await list('group=fans&via=wxid_zs')).ids).toEqual(['wxid_ls'])
    // three filters and a search at once
    expect((await list('group=fans&status=in&tags=VIP&tagMode=none&silentDays=7&q=李')).ids).toEqual(['wxid_ls'])
  })

  it('sorts by points, last active, joined; pages', async () => {
    expect((await list('sort=points')).ids.slice(0, 2)).toEqual(['wxid_zl', 'wxid_zs'])
    expect((await list('sort=joined')).ids[0]).toBe('wxid_zl')
    expect((await list('sort=lastActive')).ids[0]).toBe('wxid_zs')
    const p1 = await list('sort=name&order=asc&size=3&page=1')
    const p2 = await list('sort=name&order=asc&size=3&page=2')
    expect(p1.total).toBe(4)
    expect([...p1.ids, ...p2.ids]).toEqual(['wxid_ls', 'wxid_zs', 'wxid_ww', 'wxid_zl'])
  })

  it('bad input is a 400 naming the parameter, never a 500', async () => {
    const bad: Array<[string, string]> = [
      ['status=gone', 'status'],
      ['tagMode=some', 'tagMode'],
      ['sort=age', 'sort'],
      ['page=-1', 'page'],
      ['page=0', 'page'],
      ['size=501', 'size'],
      ['size=abc', 'size'],
      ['joinedFrom=2026-13-01', 'joinedFrom'],
      ['joinedTo=yesterday', 'joinedTo'],
      ['silentDays=-3', 'silentDays'],
      ['pointsMin=-1', 'pointsMin'],
      ['group=nope', 'group'],
      ['pool=nope', 'pool'],
      ['colour=red', 'colour'],
    ]
    for (const [q, name] of bad) {
      const r = await c.call('GET', `/api/members?${q}`)
      expect(r.status, q).toBe(400)
      expect(r.json.error, q).toContain(name)
      const csv = await c.call('GET', `/api/members.csv?${q}`)
      if (!q.startsWith('page') && !q.startsWith('size')) expect(csv.status, `csv ${q}`).toBe(400)
    }
    const churn = await c.call('GET', '/api/churn?group=fans&days=0')
    expect(churn.status).toBe(400)
    expect(churn.json.error).toContain('days')
  })

  it('exports the list as CSV: UTF-8 with a BOM, the same filters, read back', async () => {
    const r = await c.call('GET', '/api/members.csv?group=fans&sort=name&order=asc')
    expect(r.status).toBe(200)
    expect(r.headers.get('content-type')).toContain('text/csv')
    expect([...r.buffer.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf])
    const rows = parse(r.text, { bom: true, columns: true }) as Array<Record<string, string>>
    expect(rows.map((x) => x.id)).toEqual(['wxid_ls', 'wxid_zs', 'wxid_ww'])
    expect(rows.find((x) => x.id === 'wxid_zs')).toMatchObject({ name: '三哥', names: '三哥 / 张三', groups: 'fans', status: 'in', points: '10', via: '进粉丝群' })
    expect(rows.find((x) => x.id === 'wxid_ww')).toMatchObject({ status: 'left', leftGroups: 'fans' })
  })

  it('the profile keeps GET /api/members/<id> and adds names, groups with joins and leaves, and whom they invited', async () => {
    const r = await c.call('GET', '/api/members/wxid_zs?pool=fans')
    expect(r.status).toBe(200)
    const m = MemberResponse.parse(r.json)
    expect(m).toMatchObject({ id: 'wxid_zs', name: '三哥', total: 10, streak: 1, tags: [] })
    expect(m.names).toEqual(['三哥', '张三'])
    expect(m.groups).toEqual([
      { group: 'fans', in: true, lastActive: '2027-01-07T10:00:00+08:00', rooms: [{ roomId: 'fans1@chatroom', topic: '粉丝1群', in: true, joinedAt: '2026-12-28T10:00:00+08:00', leftAt: null, joins: 1, via: '进粉丝群', found: false }] },
    ])
    expect(m.invited).toEqual([{ id: 'wxid_ls', name: '李四', group: 'fans', joinedAt: '2026-12-28T10:00:00+08:00' }])
    expect((await c.call('GET', '/api/members/wxid_nobody')).status).toBe(404)
  })

  it('the timeline, newest first: joins, messages per day, check-ins, points, tags', async () => {
    const r = await c.call('GET', '/api/members/wxid_zs/timeline')
    expect(r.status).toBe(200)
    const t = TimelineResponse.parse(r.json)
    expect(t.map((e) => e.kind)).toEqual(['messages', 'messages', 'checkin', 'join'])
    expect(t[0]).toEqual({ at: '2027-01-07T10:00:00+08:00', kind: 'messages', group: 'fans', detail: '发言 1 条 (1 messages)' })
    expect(t[1]).toEqual({ at: '2026-12-28T23:59:59+08:00', kind: 'messages', group: 'fans', detail: '发言 2 条 (2 messages)' })
    expect(t[3]!.detail).toContain('通过关键词「进粉丝群」')
    const zl = TimelineResponse.parse((await c.call('GET', '/api/members/wxid_zl/timeline')).json)
    expect(zl.map((e) => e.kind).sort()).toEqual(['join', 'points', 'tag'])
    const ww = TimelineResponse.parse((await c.call('GET', '/api/members/wxid_ww/timeline')).json)
    expect(ww.map((e) => e.kind)).toEqual(['leave', 'join'])
    expect((await c.call('GET', '/api/members/wxid_nobody/timeline')).status).toBe(404)
  })

  it('churn: joins, leaves and net per day, members and the silent, cohorts by week (across the year’s end)', async () => {
    const r = await c.call('GET', '/api/churn?group=fans&days=14')
    expect(r.status).toBe(200)
    const ch = ChurnResponse.parse(r.json)
    expect(ch.days).toHaveLength(14)
    expect(ch.days.at(-1)!.day).toBe('2027-01-07')
    const d28 = ch.days.find((d) => d.day === '2026-12-28')!
    expect(d28).toMatchObject({ joins: 3, leaves: 0, net: 3, members: 3 })
    expect(ch.days.find((d) => d.day === '2026-12-29')).toMatchObject({ joins: 0, leaves: 1, net: -1, members: 2 })
    // 张三 last spoke on 12-28, 李四 never (joined 12-28): both silent ≥ 7 days from 01-04, until 张三 speaks on 01-07
    expect(ch.days.find((d) => d.day === '2027-01-03')!.silent7).toBe(0)
    expect(ch.days.find((d) => d.day === '2027-01-04')!.silent7).toBe(2)
    expect(ch.days.find((d) => d.day === '2027-01-07')!.silent7).toBe(1)
    // the week of Monday 2026-12-28: three joined; one left the next day; two still in after 1 week
    expect(ch.cohorts.find((w) => w.week === '2026-12-28')).toEqual({ week: '2026-12-28', joined: 3, retained: [null, null, null, null] })
    expect(ch.afterBot).toEqual([])
  })

  it('the OpenAPI document describes the new routes', async () => {
    const doc = (await c.call('GET', '/api/openapi.json')).json
    for (const p of ['/api/members', '/api/members.csv', '/api/members/{contactId}/timeline', '/api/churn']) expect(doc.paths[p], p).toBeDefined()
    expect(doc.paths['/api/members'].get.parameters.map((p: { name: string }) => p.name)).toEqual(
      expect.arrayContaining(['group', 'q', 'tags', 'tagMode', 'silentDays', 'joinedFrom', 'joinedTo', 'status', 'sort', 'page', 'size']),
    )
  })
})
