import { get, h, label, table } from '../lib.js'

const sum = (groups, f) => groups.reduce((n, g) => n + f(g), 0)

export async function renderOverview(view) {
  const groups = await get('/api/groups')
  const members = (g) => g.rooms.reduce((n, r) => n + (r.members ?? 0), 0)
  const questions = (t) => t.answeredByRules + t.answeredByModel + t.handedOff
  const card = (zh, en, n) => h('div', { class: 'card' }, h('div', { class: 'muted' }, label(zh, en)), h('div', { class: 'num' }, n))
  view.replaceChildren(
    h('h1', {}, label('总览', 'Overview')),
    h(
      'div',
      { class: 'cards' },
      card('分组', 'Groups', groups.length),
      card('群', 'Rooms', sum(groups, (g) => g.rooms.length)),
      card('成员', 'Members', sum(groups, members)),
      card('今日签到', 'Check-ins today', sum(groups, (g) => g.today.checkins)),
      card('今日提问', 'Questions today', sum(groups, (g) => questions(g.today))),
      card('待处理转人工', 'Open hand-offs', sum(groups, (g) => g.openHandoffs)),
    ),
    table(
      [['分组', 'Group'], ['群（成员数）', 'Rooms (members)'], ['入群', 'Joins', 'n'], ['退群', 'Leaves', 'n'], ['签到', 'Check-ins', 'n'], ['提问', 'Questions', 'n'], ['转人工', 'Handed off', 'n'], ['消息', 'Messages', 'n'], ['待处理', 'Open', 'n']],
      groups.map((g) =>
        h(
          'tr',
          { dataset: { group: g.name } },
          h('td', {}, h('a', { href: `#/group/${encodeURIComponent(g.name)}` }, g.name)),
          h('td', {}, g.rooms.length === 0 ? h('span', { class: 'muted' }, '机器人还不在这个分组的群里') : g.rooms.map((r) => h('div', {}, `${r.topic}（${r.members ?? '?'}）`))),
          h('td', { class: 'n' }, g.today.joins),
          h('td', { class: 'n' }, g.today.leaves),
          h('td', { class: 'n' }, g.today.checkins),
          h('td', { class: 'n' }, questions(g.today)),
          h('td', { class: 'n' }, g.today.handedOff),
          h('td', { class: 'n' }, g.today.messages),
          h('td', { class: 'n' }, g.openHandoffs ? h('a', { href: '#/inbox' }, g.openHandoffs) : 0),
        ),
      ),
    ),
  )
}
