// hello's console page "早安 Hellos" (served at /ext/hello.js): a group's greeters.
// render(root, api) is all a page needs; /lib.js has the console's helpers (text, never HTML).
import { errorBox, h, label, table, when } from '/lib.js'

export async function render(root, api, group) {
  const groups = (await api.get('/api/groups')).filter((g) => g.skills.includes('hello'))
  group ??= groups[0]?.name
  if (!group) return root.replaceChildren(h('p', { class: 'muted' }, '没有开启 hello 的分组'))
  const picker = h(
    'select',
    { name: 'group', onchange: () => render(root, api, picker.value).catch((err) => root.replaceChildren(errorBox(err))) },
    groups.map((g) => h('option', { value: g.name, selected: g.name === group }, g.name)),
  )
  const board = await api.get(`/api/hello?group=${encodeURIComponent(group)}`)
  root.replaceChildren(
    h('p', {}, label('分组', 'Group'), ' ', picker, ' ', h('span', { class: 'muted' }, `共 ${board.total} 次`)),
    board.greeters.length === 0
      ? h('p', { class: 'muted' }, '还没有人打招呼')
      : table(
          [['成员', 'Member'], ['次数', 'Greetings', 'n'], ['最近', 'Last']],
          board.greeters.map((g) => h('tr', { dataset: { member: g.memberId } }, h('td', {}, g.name), h('td', { class: 'n' }, g.count), h('td', {}, when(g.last)))),
        ),
  )
}
