// 直播 / Lives: the live skill's console page (served at /ext/lives.js, menu #/lives): upcoming
// lives across groups (cancel), and one live added to several groups at once. groupCard():
// a group's upcoming lives on its page.
import { errorBox, h, label, table, when } from '/lib.js'

export async function render(root, api) {
  const [lives, groups] = await Promise.all([api.get('/api/lives'), api.get('/api/groups')])
  const withLive = groups.filter((g) => g.skills.includes('live'))
  const msg = h('div')
  const title = h('input', { name: 'title', required: true, maxlength: 100, placeholder: '例如：双十一新品首发' })
  const start = h('input', { name: 'start', type: 'datetime-local', step: 1, required: true })
  const link = h('input', { name: 'link', placeholder: 'https://…' })
  const preview = h('textarea', { name: 'preview', placeholder: '商品清单（可选）' })
  const boxes = withLive.map((g) => h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'group', value: g.name }), g.name))
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (e) => {
        e.preventDefault()
        msg.replaceChildren()
        const chosen = boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value)
        try {
          const body = { groups: chosen, title: title.value, start: start.value.replace('T', ' ') }
          if (link.value.trim()) body.link = link.value.trim()
          if (preview.value.trim()) body.preview = preview.value
          const r = await api.send('POST', '/api/lives', body)
          await render(root, api)
          root.querySelector('#live-msg').replaceChildren(h('p', { class: 'ok' }, `已添加直播 ${r.id}（${r.groups.join('、')}）`))
        } catch (err) {
          msg.replaceChildren(errorBox(err))
        }
      },
    },
    h('h2', {}, label('添加直播（可同时发到多个分组）', 'Add a live to several groups at once')),
    h('label', {}, label('标题', 'Title'), ' ', title),
    h('label', {}, label('开播时间', 'Start'), ' ', start),
    h('label', {}, label('链接', 'Link'), ' ', link),
    h('label', {}, label('商品清单', 'Preview'), preview),
    h('div', {}, label('分组', 'Groups'), boxes.length ? boxes : h('p', { class: 'muted' }, '没有开启 live 的分组')),
    h('button', { type: 'submit' }, label('添加', 'Add')),
    msg,
  )
  root.replaceChildren(
    h('div', { id: 'live-msg' }),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, label('待开播', 'Upcoming')),
      lives.length === 0
        ? h('p', { class: 'muted' }, '暂时没有直播')
        : table(
            [['编号', 'Id'], ['开播', 'Start'], ['标题', 'Title'], ['分组', 'Groups'], ['来源', 'Source'], ['', '']],
            lives.map((l) =>
              h(
                'tr',
                { dataset: { live: l.id } },
                h('td', {}, l.id),
                h('td', {}, when(l.start)),
                h('td', {}, l.title),
                h('td', {}, l.groups.join('、')),
                h('td', {}, l.source === 'config' ? '配置' : '添加'),
                h(
                  'td',
                  {},
                  h(
                    'button',
                    {
                      class: 'quiet',
                      onclick: async () => {
                        if (!confirm(`取消直播「${l.title}」？提醒不再发送。`)) return
                        await api.send('DELETE', `/api/lives/${encodeURIComponent(l.id)}`).catch((err) => root.prepend(errorBox(err)))
                        await render(root, api)
                      },
                    },
                    label('取消', 'Cancel'),
                  ),
                ),
              ),
            ),
          ),
    ),
    form,
  )
}

/** The group page's card: the group's upcoming lives (`lives` of GET /api/groups/<name>). */
export function groupCard(detail) {
  return h(
    'div',
    { class: 'card' },
    h('h2', {}, label('待开播直播', 'Upcoming lives')),
    detail.lives.length === 0
      ? h('p', { class: 'muted' }, '暂时没有直播预告')
      : table(
          [['编号', 'Id'], ['开播', 'Start'], ['标题', 'Title']],
          detail.lives.map((l) => h('tr', {}, h('td', {}, l.id), h('td', {}, when(l.start)), h('td', {}, l.title))),
        ),
  )
}
