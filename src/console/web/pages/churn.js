import * as echarts from '/vendor/echarts/echarts.esm.min.mjs'
import { errorBox, get, h, label, table, when } from '../lib.js'

// 流失 Churn, per group: joins, leaves and net per day (30/90 days); members silent ≥ 7 / 30
// days over time; the cohort retention chart (joined in week W, still in after 1, 2, 4, 8
// weeks); the bot messages leaves followed within the hour.

const COLORS = ['#2e7d32', '#c8102e', '#245bdb', '#f59e0b', '#7c3aed']

function draw(el, option) {
  const c = echarts.init(el, null, { renderer: 'svg' })
  c.setOption({ color: COLORS, tooltip: { trigger: 'axis' }, legend: { top: 0 }, grid: { left: 44, right: 16, top: 36, bottom: 28 }, ...option })
  window.addEventListener('resize', () => c.resize())
  return c
}

export async function renderChurn(view, group, days) {
  const groups = await get('/api/groups')
  const name = group || groups[0]?.name
  if (!name) return view.replaceChildren(h('h1', {}, label('流失', 'Churn')), h('p', { class: 'muted' }, '配置里还没有分组'))
  const span = days === 90 ? 90 : 30
  const pick = h(
    'div',
    { class: 'row card' },
    h('select', { name: 'group', onchange: (e) => (location.hash = `#/churn/${encodeURIComponent(e.target.value)}/${span}`) }, groups.map((g) => h('option', { value: g.name, selected: g.name === name }, g.name))),
    [30, 90].map((d) => h('a', { href: `#/churn/${encodeURIComponent(name)}/${d}`, class: d === span ? 'active' : '' }, `近 ${d} 天`)),
  )
  let c
  try {
    c = await get(`/api/churn?group=${encodeURIComponent(name)}&days=${span}`)
  } catch (err) {
    view.replaceChildren(h('h1', {}, label('流失', 'Churn')), pick, errorBox(err))
    return
  }
  const flow = h('div', { class: 'chart', id: 'chart-flow' })
  const silent = h('div', { class: 'chart', id: 'chart-silent' })
  const cohort = h('div', { class: 'chart', id: 'chart-cohorts' })
  const pct = (n, of) => (n === null ? '—' : of === 0 ? '0' : `${n}（${Math.round((n / of) * 100)}%）`)
  view.replaceChildren(
    h('h1', {}, label(`流失 · ${name}`, 'Churn')),
    pick,
    h(
      'div',
      { class: 'grid2' },
      h('div', { class: 'card' }, h('h2', {}, label(`近 ${span} 天 入群 / 退群 / 净增`, 'Joins, leaves, net')), flow),
      h('div', { class: 'card' }, h('h2', {}, label('沉默成员（≥7 天 / ≥30 天）', 'Silent members')), silent),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, label('留存：某周入群的人，1 / 2 / 4 / 8 周后还在群里', 'Cohort retention')),
      cohort,
      table(
        [['入群周（周一）', 'Week'], ['入群', 'Joined', 'n'], ['1 周后', '1 week', 'n'], ['2 周后', '2 weeks', 'n'], ['4 周后', '4 weeks', 'n'], ['8 周后', '8 weeks', 'n']],
        c.cohorts.map((w) => h('tr', { dataset: { week: w.week } }, h('td', {}, w.week), h('td', { class: 'n' }, w.joined), w.retained.map((n) => h('td', { class: 'n' }, pct(n, w.joined))))),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, label('机器人发消息后一小时内的退群', 'Leaves within an hour after a bot message')),
      c.afterBot.length === 0
        ? h('p', { class: 'muted' }, '没有')
        : table(
            [['时间', 'When'], ['群', 'Room'], ['消息', 'Message'], ['之后退群', 'Leaves', 'n']],
            c.afterBot.map((a) => h('tr', {}, h('td', {}, when(a.at)), h('td', {}, a.topic), h('td', {}, a.text ?? `${a.skill}（${a.kind}）`), h('td', { class: 'n' }, a.leaves))),
          ),
    ),
  )
  const x = { type: 'category', data: c.days.map((d) => d.day.slice(5)) }
  draw(flow, {
    xAxis: x,
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '入群', type: 'bar', data: c.days.map((d) => d.joins) },
      { name: '退群', type: 'bar', data: c.days.map((d) => -d.leaves) },
      { name: '净增', type: 'line', data: c.days.map((d) => d.net) },
    ],
  })
  draw(silent, {
    color: ['#245bdb', '#f59e0b', '#c8102e'],
    xAxis: x,
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: '在群', type: 'line', data: c.days.map((d) => d.members) },
      { name: '沉默 ≥7 天', type: 'line', data: c.days.map((d) => d.silent7) },
      { name: '沉默 ≥30 天', type: 'line', data: c.days.map((d) => d.silent30) },
    ],
  })
  const weeks = ['1 周', '2 周', '4 周', '8 周']
  draw(cohort, {
    tooltip: { trigger: 'axis', valueFormatter: (v) => (v === null || v === undefined ? '—' : `${v}%`) },
    xAxis: { type: 'category', data: weeks },
    yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
    series: c.cohorts
      .filter((w) => w.joined > 0)
      .map((w) => ({ name: w.week.slice(5), type: 'line', connectNulls: false, data: w.retained.map((n) => (n === null ? null : Math.round((n / w.joined) * 100))) })),
  })
}
