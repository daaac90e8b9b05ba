// 内容日历 / Calendar: the posts skill's console page (served at /ext/posts.js, menu #/calendar).
// Every group's posts and lives on a week or a month; a post's next occurrence skipped or sent
// now; console posts added, edited and deleted; the delivery log (投放记录). Member-written and
// operator-written text is always put in as text (h()), never as HTML.
import { errorBox, h, label, table, when } from '/lib.js'

const WEEKDAYS = ['周一', '周二', '周三', '周四', '周五', '周六', '周日']
const KIND = { image: '图片', file: '文件', link: '链接卡片', miniProgram: '小程序' }
const STATUS = { sent: '已发送', skipped: '未发送', failed: '失败' }

/** The page's state across re-renders (view, the first day shown). */
const state = { view: 'week', anchor: undefined, editing: undefined, selected: undefined }

const pad = (n) => String(n).padStart(2, '0')
const ymd = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`
const mondayOf = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate() - ((d.getDay() + 6) % 7))
const addDays = (d, n) => new Date(d.getFullYear(), d.getMonth(), d.getDate() + n)

function style() {
  if (document.getElementById('posts-style')) return
  document.head.append(
    h(
      'style',
      { id: 'posts-style' },
      `.cal { display: grid; grid-template-columns: repeat(7, 1fr); gap: 6px; }
.cal .day { background: #fff; border: 1px solid var(--line); border-radius: 6px; min-height: 96px; padding: 6px; font-size: 13px; }
.cal .day.out { opacity: .45; }
.cal .day.today { border-color: var(--accent); }
.cal .day h3 { font-size: 12px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
.cal .item { display: block; width: 100%; text-align: left; margin: 2px 0; padding: 2px 6px; border-radius: 4px; border: 0; font-size: 12px; background: #eef3ff; color: var(--fg); cursor: pointer; }
.cal .item.live { background: #fde8ea; }
.cal .item.skipped { text-decoration: line-through; opacity: .6; }
.cal .item small { color: var(--muted); }
.toolbar { display: flex; gap: 6px; align-items: center; flex-wrap: wrap; margin-bottom: 10px; }
.toolbar .range { font-weight: 600; margin-left: 8px; }
.send-item { display: flex; gap: 6px; align-items: flex-start; margin: 4px 0; }
.send-item textarea { min-height: 40px; }`,
    ),
  )
}

export async function render(root, api) {
  style()
  const today = new Date()
  state.anchor ??= state.view === 'week' ? mondayOf(today) : new Date(today.getFullYear(), today.getMonth(), 1)
  // a month view starts on the Monday of its first week and shows six weeks
  const first = state.view === 'week' ? state.anchor : mondayOf(state.anchor)
  const days = state.view === 'week' ? 7 : 42
  const [calendar, posts, groups, media, deliveries] = await Promise.all([
    api.get(`/api/calendar?from=${ymd(first)}&days=${days}`),
    api.get('/api/posts'),
    api.get('/api/groups'),
    api.get('/api/media'),
    api.get(`/api/deliveries?days=7${state.logGroup ? `&group=${encodeURIComponent(state.logGroup)}` : ''}`),
  ])
  const withPosts = groups.filter((g) => g.skills.includes('posts'))
  const msg = h('div', { id: 'posts-msg' })
  const rerender = async (note) => {
    await render(root, api)
    if (note) root.querySelector('#posts-msg').replaceChildren(h('p', { class: 'ok' }, note))
  }
  const act = async (fn, note) => {
    try {
      const r = await fn()
      await rerender(typeof note === 'function' ? note(r) : note)
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }

  root.replaceChildren(
    msg,
    calendarCard(calendar, posts, first, days, today, api, root),
    state.selected ? postCard(posts.find((p) => p.id === state.selected), api, act) : '',
    postsCard(posts, act, api),
    formCard(withPosts, media, posts.find((p) => p.id === state.editing), api, rerender, msg),
    logCard(deliveries, withPosts, api, root),
  )
}

function calendarCard(entries, posts, first, days, today, api, root) {
  const byDay = new Map()
  for (const e of entries) {
    const key = ymd(new Date(e.at))
    if (!byDay.has(key)) byDay.set(key, [])
    byDay.get(key).push(e)
  }
  const month = state.view === 'month' ? state.anchor.getMonth() : undefined
  const cells = []
  for (let i = 0; i < days; i++) {
    const d = addDays(first, i)
    const key = ymd(d)
    const items = (byDay.get(key) ?? []).map((e) =>
      h(
        'button',
        {
          class: `item ${e.kind}${e.skipped ? ' skipped' : ''}`,
          dataset: { kind: e.kind, id: e.id, group: e.group },
          title: `${e.group} · ${e.title}`,
          onclick: () => {
            if (e.kind !== 'post') return
            state.selected = e.id
            void render(root, api)
          },
        },
        `${when(e.at).split(' ')[1]} `,
        e.kind === 'live' ? '📺 ' : '',
        e.title,
        ' ',
        h('small', {}, e.group),
      ),
    )
    cells.push(
      h(
        'div',
        { class: `day${month !== undefined && d.getMonth() !== month ? ' out' : ''}${key === ymd(today) ? ' today' : ''}`, dataset: { day: key } },
        h('h3', {}, `${d.getMonth() + 1}月${d.getDate()}日 ${WEEKDAYS[(d.getDay() + 6) % 7]}`),
        items,
      ),
    )
  }
  const move = (n) => {
    state.anchor = state.view === 'week' ? addDays(state.anchor, 7 * n) : new Date(state.anchor.getFullYear(), state.anchor.getMonth() + n, 1)
    void render(root, api)
  }
  const setView = (v) => {
    state.view = v
    state.anchor = undefined
    void render(root, api)
  }
  const range =
    state.view === 'week'
      ? `${first.getMonth() + 1}月${first.getDate()}日 – ${addDays(first, 6).getMonth() + 1}月${addDays(first, 6).getDate()}日`
      : `${state.anchor.getFullYear()}年${state.anchor.getMonth() + 1}月`
  return h(
    'div',
    { class: 'card', id: 'calendar' },
    h(
      'div',
      { class: 'toolbar' },
      h('button', { class: state.view === 'week' ? '' : 'quiet', onclick: () => setView('week'), dataset: { view: 'week' } }, label('周', 'Week')),
      h('button', { class: state.view === 'month' ? '' : 'quiet', onclick: () => setView('month'), dataset: { view: 'month' } }, label('月', 'Month')),
      h('button', { class: 'quiet', onclick: () => move(-1), title: '上一页' }, '‹'),
      h('button', { class: 'quiet', onclick: () => setView(state.view) }, label('今天', 'Today')),
      h('button', { class: 'quiet', onclick: () => move(1), title: '下一页' }, '›'),
      h('span', { class: 'range' }, range),
      h('span', { class: 'muted' }, ` · 定时群发 ${posts.length} 条；📺 直播`),
    ),
    h('div', { class: 'cal' }, cells),
  )
}

const schedule = (p) => (p.when ? p.when : `入群第 ${p.after.joined.replace('d', '')} 天 ${p.after.at}`)
const sendText = (p) => p.send.map((x) => (typeof x === 'string' ? x : `[${x.media}]`)).join(' ＋ ')

function postCard(p, api, act) {
  if (!p) return ''
  return h(
    'div',
    { class: 'card', id: 'post-detail', dataset: { post: p.id } },
    h('h2', {}, label(`定时群发 ${p.id}`, 'Post')),
    h('p', {}, `${schedule(p)} · ${p.groups.join('、')} · ${p.source === 'config' ? '配置' : '控制台'}${p.next ? ` · 下次 ${when(p.next)}` : ' · 没有下一次'}`),
    h('p', { style: 'white-space: pre-wrap' }, sendText(p)),
    postActions(p, act, api),
  )
}

function postActions(p, act, api) {
  const id = encodeURIComponent(p.id)
  return h(
    'div',
    { class: 'row' },
    h('button', { class: 'quiet', dataset: { action: 'skip' }, onclick: () => confirm(`跳过 ${p.id} 的下一次？`) && act(() => api.send('POST', `/api/posts/${id}/skip`), (r) => `已跳过 ${p.id} 的下一次${r.next ? `；再下一次 ${when(r.next)}` : ''}`) }, label('跳过下一次', 'Skip next')),
    h('button', { class: 'quiet', dataset: { action: 'now' }, onclick: () => confirm(`现在就把 ${p.id} 发到 ${p.groups.join('、')} 的每个群？`) && act(() => api.send('POST', `/api/posts/${id}/now`), (r) => `${p.id} 正在发往 ${r.rooms} 个群`) }, label('立即发送', 'Send now')),
    p.source === 'console'
      ? [
          h('button', { class: 'quiet', dataset: { action: 'edit' }, onclick: () => act(async () => (state.editing = p.id), `正在编辑 ${p.id}（见下方表单）`) }, label('编辑', 'Edit')),
          h(
            'button',
            {
              class: 'quiet',
              dataset: { action: 'delete' },
              onclick: () =>
                confirm(`删除 ${p.id}？之后不再发送。`) &&
                act(async () => {
                  await api.send('DELETE', `/api/posts/${id}`)
                  if (state.selected === p.id) state.selected = undefined
                }, `已删除 ${p.id}`),
            },
            label('删除', 'Delete'),
          ),
        ]
      : h('small', {}, '配置里的帖子请在 YAML 里改 (config posts are edited in the YAML)'),
  )
}

function postsCard(posts, act, api) {
  return h(
    'div',
    { class: 'card', id: 'posts' },
    h('h2', {}, label('全部定时群发', 'All posts')),
    posts.length === 0
      ? h('p', { class: 'muted' }, '还没有定时群发：在下面添加，或写在配置的 posts 里')
      : table(
          [['编号', 'Id'], ['时间', 'When'], ['下次', 'Next'], ['分组', 'Groups'], ['内容', 'Send'], ['来源', 'Source'], ['', '']],
          posts.map((p) =>
            h(
              'tr',
              { dataset: { post: p.id } },
              h('td', {}, p.id),
              h('td', {}, schedule(p), p.skip.length ? h('small', {}, ` 跳过 ${p.skip.join('、')}`) : ''),
              h('td', {}, p.next ? when(p.next) : '—'),
              h('td', {}, p.groups.join('、')),
              h('td', { style: 'max-width: 320px; white-space: pre-wrap' }, sendText(p)),
              h('td', {}, p.source === 'config' ? '配置' : '控制台'),
              h('td', {}, postActions(p, act, api)),
            ),
          ),
        ),
  )
}

function formCard(groups, media, editing, api, rerender, msg) {
  const err = h('div')
  const isAfter = !!editing?.after
  const mode = h('select', { name: 'mode' }, h('option', { value: 'when' }, '按时间 (schedule)'), h('option', { value: 'after' }, '入群后第 N 天 (after joined)'))
  mode.value = isAfter ? 'after' : 'when'
  const whenInput = h('input', { name: 'when', placeholder: '每天 09:00 · 工作日 10:30 · 周一,周四 20:00 · 每月1日 10:00 · 2026-12-12 20:00', size: 52, value: editing?.when ?? '' })
  const joined = h('input', { name: 'joined', type: 'number', min: 1, max: 365, value: editing?.after ? editing.after.joined.replace('d', '') : 3, style: 'width: 5em' })
  const at = h('input', { name: 'at', type: 'time', value: editing?.after?.at ?? '20:00' })
  const whenRow = h('label', {}, label('时间', 'When'), ' ', whenInput)
  const afterRow = h('label', {}, label('入群后第', 'Joined'), ' ', joined, ' 天 ', at)
  const sync = () => {
    whenRow.style.display = mode.value === 'when' ? '' : 'none'
    afterRow.style.display = mode.value === 'after' ? '' : 'none'
  }
  mode.addEventListener('change', sync)
  sync()
  const texts = (editing?.send ?? ['']).filter((x) => typeof x === 'string')
  const text = h('textarea', { name: 'text', placeholder: '文字；空一行分成两条消息。入群后的帖子可用 {names} {count} {points}' }, texts.join('\n\n'))
  const chosenMedia = new Set((editing?.send ?? []).filter((x) => typeof x !== 'string').map((x) => x.media))
  const mediaBoxes = media.map((m) => h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'media', value: m.name, checked: chosenMedia.has(m.name) }), `${m.name}（${KIND[m.kind]}）`))
  const skip = h('input', { name: 'skip', placeholder: '2027-01-28, 2027-01-29', size: 40, value: editing?.skip?.join(', ') ?? '' })
  const chosenGroups = new Set(editing?.groups ?? [])
  const boxes = groups.map((g) => h('label', { class: 'row' }, h('input', { type: 'checkbox', name: 'group', value: g.name, checked: chosenGroups.has(g.name) }), g.name))
  const form = h(
    'form',
    {
      class: 'card',
      id: 'post-form',
      onsubmit: async (e) => {
        e.preventDefault()
        err.replaceChildren()
        const body = {
          groups: boxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => i.value),
          send: [
            ...text.value.split(/\n\s*\n/).map((t) => t.trim()).filter(Boolean),
            ...mediaBoxes.map((b) => b.querySelector('input')).filter((i) => i.checked).map((i) => ({ media: i.value })),
          ],
        }
        if (mode.value === 'when') body.when = whenInput.value.trim()
        else body.after = { joined: `${joined.value}d`, at: at.value }
        const dates = skip.value.split(/[,，、\s]+/).map((d) => d.trim()).filter(Boolean)
        if (dates.length) body.skip = dates
        try {
          const r = editing ? await api.send('PUT', `/api/posts/${encodeURIComponent(editing.id)}`, body) : await api.send('POST', '/api/posts', body)
          state.editing = undefined
          await rerender(`${editing ? '已保存' : '已添加'}定时群发 ${r.id}`)
        } catch (e2) {
          err.replaceChildren(errorBox(e2))
        }
      },
    },
    h('h2', {}, editing ? label(`编辑 ${editing.id}`, 'Edit a post') : label('添加定时群发（可同时发到多个分组）', 'Add a post to several groups at once')),
    h('label', {}, label('方式', 'Kind'), ' ', mode),
    whenRow,
    afterRow,
    h('label', {}, label('内容', 'Send'), text),
    media.length ? h('div', {}, label('素材（在文字之后发送）', 'Media, after the texts'), mediaBoxes) : h('p', { class: 'muted' }, '配置里没有素材（media:）'),
    h('label', {}, label('跳过这些日期', 'Skip dates'), ' ', skip),
    h('div', {}, label('分组', 'Groups'), boxes.length ? boxes : h('p', { class: 'muted' }, '没有开启 posts 的分组')),
    h('div', { class: 'row' }, h('button', { type: 'submit' }, editing ? label('保存', 'Save') : label('添加', 'Add')), editing ? h('button', { type: 'button', class: 'quiet', onclick: () => rerender((state.editing = undefined)) }, label('取消编辑', 'Cancel')) : ''),
    err,
  )
  void msg
  return form
}

function logCard(deliveries, groups, api, root) {
  const select = h('select', { name: 'log-group', onchange: () => ((state.logGroup = select.value || undefined), void render(root, api)) }, h('option', { value: '' }, '全部分组'), groups.map((g) => h('option', { value: g.name }, g.name)))
  select.value = state.logGroup ?? ''
  return h(
    'div',
    { class: 'card', id: 'deliveries' },
    h('h2', {}, label('投放记录（最近 7 天）', 'Delivery log')),
    h('div', { class: 'toolbar' }, select),
    deliveries.length === 0
      ? h('p', { class: 'muted' }, '最近 7 天没有投放')
      : table(
          [['时间', 'Due'], ['分组', 'Group'], ['群', 'Room'], ['帖子', 'Post'], ['状态', 'Status'], ['原因', 'Why']],
          deliveries.map((d) =>
            h(
              'tr',
              { dataset: { post: d.post, room: d.roomId, status: d.status } },
              h('td', {}, when(d.at)),
              h('td', {}, d.group),
              h('td', {}, d.topic ?? d.roomId),
              h('td', {}, d.post),
              h('td', { class: d.status === 'sent' ? 'ok' : d.status === 'failed' ? 'error' : 'muted' }, STATUS[d.status]),
              h('td', {}, d.reason ?? ''),
            ),
          ),
        ),
  )
}
