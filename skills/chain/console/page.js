// The chain skill's console page "接龙 / Chains" (served at /ext/chains.js): every chain with
// its joiners, a CSV download per chain, and closing an open one (asks first). Member-written
// text (titles, names, notes) is always put in as text, never as HTML.
import { download, errorBox, h, table, when } from '/lib.js'

const VIA = { text: '发消息', repost: '转发微信接龙', groupNote: '微信接龙消息' }

export async function render(root, api) {
  const groups = await api.get('/api/groups')
  const picker = h('select', { 'aria-label': 'group', name: 'group' }, h('option', { value: '' }, '全部分组 All groups'), groups.map((g) => h('option', { value: g.name }, g.name)))
  const status = h('select', { 'aria-label': 'status', name: 'status' }, h('option', { value: 'all' }, '全部 All'), h('option', { value: 'open' }, '进行中 Open'), h('option', { value: 'closed' }, '已结束 Closed'))
  const msg = h('div', { role: 'status' })
  const body = h('div')
  root.replaceChildren(h('p', {}, '分组 Group ', picker, ' 状态 Status ', status), msg, body)

  async function show() {
    const q = new URLSearchParams({ status: status.value })
    if (picker.value) q.set('group', picker.value)
    const chains = await api.get(`/api/chains?${q}`)
    if (chains.length === 0) {
      body.replaceChildren(h('p', { class: 'muted' }, '还没有接龙'))
      return
    }
    body.replaceChildren(...chains.map(chainBlock))
  }

  function chainBlock(c) {
    const base = `/api/chains/${encodeURIComponent(c.group)}/${encodeURIComponent(c.id)}`
    const close = h(
      'button',
      {
        class: 'close-chain',
        onclick: async () => {
          if (!confirm(`结束接龙「${c.title}」？会在群里发最终名单。`)) return
          msg.replaceChildren()
          try {
            await api.send('POST', `${base}/close`)
            msg.replaceChildren(h('p', { class: 'ok' }, `已结束「${c.title}」`))
            await show()
          } catch (err) {
            msg.replaceChildren(errorBox(err))
          }
        },
      },
      '结束 Close',
    )
    const facts = [
      `${c.group} · ${c.roomTopic}`,
      `${c.joined}${c.limit !== undefined ? `/${c.limit}` : ''} 人${c.waiting ? ` · 候补 ${c.waiting}` : ''}`,
      c.deadline ? `截止 ${when(c.deadline)}` : '',
      `${when(c.openedAt)} 由 ${c.openedBy.name || '（已删除）'} 发起`,
      c.status === 'closed' ? `已结束 ${when(c.closedAt)}（${c.closedBy === 'deadline' ? '到截止时间' : c.closedBy}）` : '进行中',
    ].filter(Boolean)
    const rows = c.entries.map((e) =>
      h('tr', { 'data-member': e.memberId, class: e.waiting ? 'waiting' : '' }, h('td', {}, e.waiting ? `候补${e.place}` : String(e.place)), h('td', {}, e.name), h('td', {}, e.note), h('td', {}, when(e.at)), h('td', {}, VIA[e.via] ?? e.via)),
    )
    return h(
      'section',
      { class: 'chain', 'data-chain': c.id, 'data-group': c.group },
      h('h2', {}, `${c.title} `, h('small', {}, c.id)),
      h(
        'p',
        {},
        facts.join(' · '),
        ' ',
        h('button', { class: 'csv', 'data-href': `${base}.csv`, onclick: () => void download(`${base}.csv`, `${c.group}-${c.id}.csv`).catch((err) => msg.replaceChildren(errorBox(err))) }, '导出 CSV'),
        ' ',
        c.status === 'open' ? close : '',
      ),
      c.entries.length === 0 ? h('p', { class: 'muted' }, '还没有人参加') : table([['序号', '#'], ['昵称', 'Name'], ['备注', 'Note'], ['时间', 'When'], ['方式', 'Via']], rows),
    )
  }

  const refresh = () => void show().catch((err) => msg.replaceChildren(errorBox(err)))
  picker.addEventListener('change', refresh)
  status.addEventListener('change', refresh)
  await show()
}
