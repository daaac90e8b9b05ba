import * as echarts from '/vendor/echarts/echarts.esm.min.mjs'
import { get, h, label, table } from '../lib.js'

const COLORS = ['#245bdb', '#c8102e', '#2e7d32', '#f59e0b', '#7c3aed', '#0891b2']

function chart(el, days, series, stacked) {
  const c = echarts.init(el, null, { renderer: 'svg' })
  c.setOption({
    color: COLORS,
    tooltip: { trigger: 'axis' },
    legend: { top: 0 },
    grid: { left: 40, right: 16, top: 36, bottom: 28 },
    xAxis: { type: 'category', data: days.map((d) => d.day.slice(5)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: series.map(([name, key]) => ({
      name,
      type: stacked ? 'bar' : 'line',
      stack: stacked ? 'q' : undefined,
      smooth: !stacked,
      data: days.map((d) => d[key]),
    })),
  })
  window.addEventListener('resize', () => c.resize())
  return c
}

/** The cards the sections that are on add to a group's page (a page module's `groupCard(detail)`). */
async function sectionCards(sections, detail) {
  const modules = await Promise.all(sections.map((s) => import(s.module)))
  return modules.filter((m) => typeof m.groupCard === 'function').map((m) => m.groupCard(detail))
}

export async function renderGroup(view, name, sections = []) {
  const q = encodeURIComponent(name)
  const [stats, detail] = await Promise.all([get(`/api/stats?group=${q}&days=30`), get(`/api/groups/${q}`)])
  const cards = await sectionCards(sections, detail)
  const members = h('div', { class: 'chart', id: 'chart-members' })
  const questions = h('div', { class: 'chart', id: 'chart-questions' })
  view.replaceChildren(
    h('h1', {}, `分组 ${name} `, h('small', {}, `Group · 积分池 pool ${detail.pool}`)),
    h(
      'div',
      { class: 'grid2' },
      h('div', { class: 'card' }, h('h2', {}, label('近 30 天 入群 / 退群 / 签到', 'Joins, leaves, check-ins')), members),
      h('div', { class: 'card' }, h('h2', {}, label('近 30 天 提问', 'Questions: by rules, by the model, handed off')), questions),
    ),
    h(
      'div',
      { class: 'grid2' },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, label('积分榜', 'Leaderboard')),
        detail.leaderboard.length === 0
          ? h('p', { class: 'muted' }, '还没有人签到')
          : table(
              [['名次', 'Rank', 'n'], ['成员', 'Member'], ['积分', 'Points', 'n'], ['连续', 'Streak', 'n']],
              detail.leaderboard.map((r) =>
                h('tr', {}, h('td', { class: 'n' }, r.rank), h('td', {}, h('a', { href: `#/members/${encodeURIComponent(r.id)}` }, r.name)), h('td', { class: 'n' }, r.total), h('td', { class: 'n' }, r.streak)),
              ),
            ),
      ),
      // the sections' cards: the live desk's upcoming lives…
      cards,
    ),
  )
  chart(members, stats.days, [['入群', 'joins'], ['退群', 'leaves'], ['签到', 'checkins']], false)
  chart(questions, stats.days, [['关键词回答', 'answeredByRules'], ['AI 回答', 'answeredByModel'], ['转人工', 'handedOff']], true)
}
