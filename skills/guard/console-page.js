// guard's console page "移出记录 / Removals" (served at /ext/removals.js): a group's
// blacklist and recent strikes/removals/pardons, and a pardon button (asks first).
// Member-written text (names, evidence) is always put in as text, never as HTML.

const KIND = { strike: '违规', removal: '移出', 'removal failed': '移出失败', pardon: '赦免', blacklisted: '黑名单' }

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else el.setAttribute(k, String(v))
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c))
  return el
}

const when = (iso) => {
  const d = new Date(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getMonth() + 1}月${d.getDate()}日 ${p(d.getHours())}:${p(d.getMinutes())}`
}
const who = (r) => `${r.memberName ?? r.memberId}（${r.memberId}）`

export async function render(root, api) {
  const groups = await api.get('/api/groups')
  const picker = h('select', { 'aria-label': 'group', name: 'group' }, groups.map((g) => h('option', { value: g.name }, g.name)))
  const body = h('div')
  const msg = h('div', { role: 'status' })
  root.replaceChildren(h('p', {}, '分组 Group ', picker), msg, body)

  async function show() {
    const group = picker.value
    const data = await api.get(`/api/removals?group=${encodeURIComponent(group)}`)
    const pardonButton = (r) =>
      h(
        'button',
        {
          class: 'pardon',
          'data-member': r.memberId,
          onclick: async () => {
            if (!confirm(`赦免 ${who(r)}？将清除违规记录、移出黑名单、取消等待中的移出。`)) return
            msg.replaceChildren()
            try {
              const res = await api.send('POST', `/api/removals/${encodeURIComponent(group)}/${encodeURIComponent(r.memberId)}/pardon`)
              msg.replaceChildren(h('p', { class: 'ok' }, res.changed ? `已赦免 ${who(r)}` : `${who(r)} 没有需要赦免的记录`))
              await show()
            } catch (err) {
              msg.replaceChildren(h('p', { class: 'error', role: 'alert' }, `出错了：${err.message}`))
            }
          },
        },
        '赦免 Pardon',
      )
    const row = (r, action) =>
      h(
        'tr',
        { 'data-kind': r.kind },
        h('td', {}, when(r.at)),
        h('td', {}, KIND[r.kind] ?? r.kind),
        h('td', {}, who(r)),
        h('td', {}, [r.ruleText ?? '', r.strike !== undefined ? ` ${r.strike}/${r.of}` : ''].join('')),
        h('td', {}, r.roomTopic ?? ''),
        h('td', {}, r.kind === 'pardon' ? `由 ${r.by}` : (r.reason ?? r.evidence ?? '')),
        h('td', {}, action ? pardonButton(r) : ''),
      )
    const head = h('thead', {}, h('tr', {}, ['时间', '事件', '成员', '规则', '群', '详情', ''].map((t) => h('th', {}, t))))
    body.replaceChildren(
      data.guard ? '' : h('p', { class: 'muted' }, '本组没有开启 guard（防骚扰）'),
      h('h2', {}, '黑名单 Blacklist'),
      data.blacklist.length === 0 ? h('p', { class: 'muted' }, '黑名单是空的') : h('table', { class: 'blacklist' }, head.cloneNode(true), h('tbody', {}, data.blacklist.map((r) => row(r, true)))),
      h('h2', {}, '最近记录 Recent'),
      data.history.length === 0
        ? h('p', { class: 'muted' }, '还没有违规或移出记录')
        : h('table', { class: 'history' }, head.cloneNode(true), h('tbody', {}, data.history.map((r) => row(r, r.kind === 'strike' || r.kind === 'removal')))),
    )
  }

  picker.addEventListener('change', () => void show().catch((err) => msg.replaceChildren(h('p', { class: 'error', role: 'alert' }, `出错了：${err.message}`))))
  await show()
}
