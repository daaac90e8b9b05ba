import { api, errorBox, get, h, label, table, when } from '../lib.js'

export async function renderMembers(view, id) {
  const input = h('input', { name: 'contactId', placeholder: 'wxid_…', value: id, required: true })
  const search = h(
    'form',
    { class: 'card row', onsubmit: (e) => (e.preventDefault(), (location.hash = `#/members/${encodeURIComponent(input.value.trim())}`)) },
    label('联系人 ID', 'Contact id'),
    input,
    h('button', { type: 'submit' }, label('查找', 'Look up')),
  )
  view.replaceChildren(h('h1', {}, label('会员', 'Members')), search)
  if (!id) return
  let m
  try {
    m = await get(`/api/members/${encodeURIComponent(id)}`)
  } catch (err) {
    view.append(errorBox(err))
    return
  }
  const path = `/api/members/${encodeURIComponent(id)}`
  const msg = h('div')
  const act = async (method, p, body) => {
    try {
      await api(method, p, body)
      await renderMembers(view, id)
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }
  const tagInput = h('input', { name: 'tag', placeholder: '例如 VIP', maxlength: 20 })
  const pool = h('select', { name: 'pool' }, m.pools.map((p) => h('option', { value: p.pool, selected: p.pool === m.pool }, p.pool)))
  const delta = h('input', { name: 'delta', type: 'number', step: 1, placeholder: '+50 / -20', required: true })
  const reason = h('input', { name: 'reason', placeholder: '原因（写入积分明细）', required: true, maxlength: 200 })
  view.append(
    h('div', { class: 'card' }, h('h2', {}, `${m.name} `, h('small', {}, m.id)), msg),
    h(
      'div',
      { class: 'grid2' },
      h(
        'div',
        { class: 'card' },
        h('h2', {}, label('各积分池', 'Points per pool')),
        table(
          [['积分池', 'Pool'], ['积分', 'Points', 'n'], ['连续', 'Streak', 'n'], ['签到次数', 'Check-ins', 'n'], ['最近签到', 'Last']],
          m.pools.map((p) => h('tr', { dataset: { pool: p.pool } }, h('td', {}, p.pool), h('td', { class: 'n' }, p.total), h('td', { class: 'n' }, p.streak), h('td', { class: 'n' }, p.checkins), h('td', {}, p.lastDay ?? '—'))),
        ),
        h(
          'form',
          { class: 'row', onsubmit: (e) => (e.preventDefault(), act('POST', `${path}/points`, { pool: pool.value, delta: Number(delta.value), reason: reason.value })) },
          label('调整积分', 'Adjust'),
          pool,
          delta,
          reason,
          h('button', { type: 'submit' }, label('确定', 'Apply')),
        ),
      ),
      h(
        'div',
        { class: 'card' },
        h('h2', {}, label('标签', 'Tags')),
        h(
          'div',
          { class: 'tags' },
          m.tags.length === 0
            ? h('span', { class: 'muted' }, '没有标签')
            : m.tags.map((t) =>
                h('span', { class: 'tag', title: `${m.tagMarks[t].source} · ${when(m.tagMarks[t].at)}` }, t, h('button', { 'aria-label': `remove ${t}`, onclick: () => act('DELETE', `${path}/tags/${encodeURIComponent(t)}`) }, '✕')),
              ),
        ),
        h('form', { class: 'row', onsubmit: (e) => (e.preventDefault(), tagInput.value.trim() && act('POST', `${path}/tags/${encodeURIComponent(tagInput.value.trim())}`)) }, tagInput, h('button', { type: 'submit' }, label('加标签', 'Tag'))),
      ),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, label(`积分明细（${m.pool}）`, 'Ledger')),
      m.ledger.length === 0
        ? h('p', { class: 'muted' }, '没有记录')
        : table(
            [['时间', 'When'], ['变动', 'Change', 'n'], ['原因', 'Reason'], ['分组', 'Group'], ['备注', 'Note']],
            m.ledger.map((e) => h('tr', {}, h('td', {}, when(e.at)), h('td', { class: 'n' }, e.delta > 0 ? `+${e.delta}` : e.delta), h('td', {}, REASONS[e.reason] ?? e.reason), h('td', {}, e.group), h('td', {}, e.note ?? ''))),
          ),
    ),
  )
}

const REASONS = { checkin: '签到', streakBonus: '连续签到奖励', adjust: '调整', redeem: '兑换' }
