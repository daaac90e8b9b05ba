// 订单 / Orders: the shop's orders (a console section, served at /ext/orders.js).
// Pending ones to ship; mark done, or cancel (points back, stock back) after a confirm.
import { errorBox, h, label, table, when } from '/lib.js'

const STATUS = { pending: '待处理', done: '已完成', cancelled: '已取消' }

export async function render(root, api, status = 'pending') {
  const list = await api.get(`/api/orders?status=${status}`)
  const msg = h('div', { id: 'order-msg' })
  const again = () => render(root, api, status).catch((err) => root.replaceChildren(errorBox(err)))
  const act = async (path, body, done) => {
    try {
      const r = await api.send('POST', path, body)
      await again()
      root.querySelector('#order-msg').replaceChildren(h('p', { class: 'ok' }, done(r)))
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }
  const tab = (s) =>
    h('button', { class: s === status ? '' : 'quiet', dataset: { tab: s }, onclick: () => render(root, api, s).catch((err) => root.replaceChildren(errorBox(err))) }, STATUS[s])
  root.replaceChildren(
    h('div', { class: 'tabs' }, tab('pending'), tab('done'), tab('cancelled')),
    msg,
    list.length === 0
      ? h('p', { class: 'muted' }, status === 'pending' ? '没有待处理的订单 👍' : '没有订单')
      : table(
          [['订单', 'Order'], ['时间', 'At'], ['会员', 'Member'], ['商品', 'Item'], ['积分', 'Points', 'n'], ['发货', 'Delivery'], ['状态', 'Status'], ['', '']],
          list.map((o) => row(o, act)),
        ),
  )
}

function row(o, act) {
  const ref = encodeURIComponent(o.ref)
  const actions = h('td', { class: 'row' })
  const ask = () => {
    // the confirm: a reason (optional, told to the member) and a second click
    const note = h('input', { name: 'note', maxlength: 200, placeholder: '原因（可选，会私信告诉会员）' })
    actions.replaceChildren(
      note,
      h('button', { class: 'confirm-cancel', onclick: () => act(`/api/orders/${ref}/cancel`, note.value.trim() ? { note: note.value.trim() } : {}, (r) => `订单 ${r.id} 已取消，退回 ${r.refunded} 分（现有 ${r.total} 分），库存已恢复`) }, label('确认取消', 'Confirm')),
      h('button', { class: 'quiet', onclick: () => actions.replaceChildren(...buttons()) }, label('不取消', 'Keep')),
    )
    note.focus()
  }
  const buttons = () => [
    h('button', { class: 'done', onclick: () => act(`/api/orders/${ref}/done`, {}, (r) => `订单 ${r.id} 已标记完成：${r.memberName} 的 ${r.itemName}`) }, label('完成', 'Done')),
    h('button', { class: 'quiet cancel', onclick: ask }, label('取消…', 'Cancel…')),
  ]
  if (o.status === 'pending') actions.append(...buttons())
  return h(
    'tr',
    { dataset: { order: o.ref } },
    h('td', {}, o.id, ' ', h('small', {}, o.pool)),
    h('td', {}, when(o.at)),
    h('td', {}, h('a', { href: `#/members/${encodeURIComponent(o.memberId)}` }, o.memberName), ' ', h('small', {}, o.group)),
    h('td', {}, o.itemName),
    h('td', { class: 'n' }, o.price),
    h('td', {}, o.delivery === 'codes' ? (o.delivered ? '券码已发' : '券码待发') : '人工'),
    h('td', { class: 'status' }, STATUS[o.status], o.note ? h('small', {}, ` ${o.note}`) : ''),
    actions,
  )
}
