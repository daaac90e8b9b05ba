import { api, errorBox, get, h, label, when } from '../lib.js'

export async function renderInbox(view, status) {
  const list = await get(`/api/handoffs?status=${status}`)
  const tab = (s, zh, en) => h('a', { href: `#/inbox/${s}`, class: s === status ? 'active' : '' }, h('button', { class: s === status ? '' : 'quiet' }, label(zh, en)))
  view.replaceChildren(
    h('h1', {}, label('转人工收件箱', 'Hand-off inbox')),
    h('div', { class: 'tabs' }, tab('open', '待处理', 'Open'), tab('closed', '已处理', 'Closed')),
    ...(list.length === 0 ? [h('p', { class: 'muted' }, status === 'open' ? '没有待处理的问题 👍' : '还没有已处理的问题')] : list.map((ho) => item(ho, () => renderInbox(view, status)))),
  )
}

function item(ho, refresh) {
  const text = h('textarea', { placeholder: `回复 @${ho.memberName}（在群里 @ 这位成员）`, 'aria-label': 'reply' })
  const msg = h('div')
  const send = async (path, body) => {
    msg.replaceChildren()
    try {
      await api('POST', path, body)
      await refresh()
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }
  return h(
    'div',
    { class: `card ho ${ho.status}`, dataset: { handoff: ho.id } },
    h('div', { class: 'muted' }, `${ho.id} · ${when(ho.at)} · 分组 ${ho.group} · ${ho.roomTopic} · `, h('a', { href: `#/members/${encodeURIComponent(ho.memberId)}` }, `${ho.memberName}（${ho.memberId}）`)),
    h('div', { class: 'q' }, ho.text),
    h('div', { class: 'muted' }, `转人工原因：${ho.reasonText}`),
    ho.replies.map((r) => h('div', { class: 'ok' }, `↪ ${when(r.at)} ${r.by}：${r.text}`)),
    ho.status === 'open'
      ? [
          text,
          h(
            'div',
            { class: 'row' },
            h('button', { class: 'reply', onclick: () => text.value.trim() && send(`/api/handoffs/${encodeURIComponent(ho.id)}/reply`, { text: text.value.trim() }) }, label('回复并关闭', 'Reply & close')),
            h('button', { class: 'quiet close', onclick: () => send(`/api/handoffs/${encodeURIComponent(ho.id)}/close`) }, label('关闭', 'Close')),
          ),
        ]
      : [],
    msg,
  )
}
