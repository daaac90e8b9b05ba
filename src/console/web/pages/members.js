import { api, download, errorBox, get, h, label, table, when } from '../lib.js'

// 会员 Members: the list (search any name seen or id, the filters of CONTRACT §11, sort,
// pages, CSV) and a member's profile (names, groups, tags, points, timeline, whom they
// invited; adjust points, tag, export, forget).

const FILTERS = ['q', 'group', 'status', 'tags', 'tagMode', 'pointsMin', 'pointsMax', 'silentDays', 'joinedFrom', 'joinedTo', 'via', 'sort', 'order']
const SIZE = 50

export async function renderMembers(view, id, params = new URLSearchParams()) {
  if (id) return renderProfile(view, id)
  const groups = await get('/api/groups')
  const field = (name, attrs = {}) => h('input', { name, value: params.get(name) ?? '', ...attrs })
  const select = (name, options) =>
    h('select', { name }, options.map(([value, text]) => h('option', { value, selected: (params.get(name) ?? '') === value }, text)))
  const form = h(
    'form',
    { class: 'card', id: 'member-search', onsubmit: (e) => (e.preventDefault(), go(1)) },
    h(
      'div',
      { class: 'row' },
      field('q', { placeholder: '昵称、群昵称或 ID（搜索任何用过的名字）', size: 32, 'aria-label': 'search' }),
      select('group', [['', '全部分组 All groups'], ...groups.map((g) => [g.name, g.name])]),
      select('status', [['', '在群/已退 In or left'], ['in', '在群 In'], ['left', '已退群 Left']]),
      h('button', { type: 'submit' }, label('搜索', 'Search')),
    ),
    h(
      'div',
      { class: 'row' },
      field('tags', { placeholder: '标签，逗号分隔', size: 16 }),
      select('tagMode', [['any', '任一 any'], ['all', '全部 all'], ['none', '都没有 none']]),
      field('pointsMin', { type: 'number', min: 0, placeholder: '积分 ≥', style: 'width:7em' }),
      field('pointsMax', { type: 'number', min: 0, placeholder: '积分 ≤', style: 'width:7em' }),
      field('silentDays', { type: 'number', min: 0, placeholder: '沉默 ≥ 天', style: 'width:7em' }),
      label('入群', 'Joined'),
      field('joinedFrom', { type: 'date' }),
      '–',
      field('joinedTo', { type: 'date' }),
      field('via', { placeholder: '来源：关键词或邀请人 ID', size: 16 }),
      select('sort', [['lastActive', '按最近发言'], ['points', '按积分'], ['joined', '按入群时间'], ['name', '按名字']]),
      select('order', [['desc', '降序'], ['asc', '升序']]),
    ),
  )
  const results = h('div', { id: 'member-results' })
  // saved through the session (download(): the secret goes in a header, a plain link is refused)
  const csv = h('a', { class: 'button', id: 'member-csv', href: '#', onclick: (e) => {
    e.preventDefault()
    void download(csv.dataset.href, 'members.csv').catch((err) => results.prepend(errorBox(err)))
  } }, label('导出 CSV', 'Export'))
  view.replaceChildren(h('h1', {}, label('会员', 'Members'), ' ', csv), form, results)

  function query(page) {
    const q = new URLSearchParams()
    for (const name of FILTERS) {
      const v = form.elements.namedItem(name)?.value?.trim()
      if (v) q.set(name, v)
    }
    return { q, page }
  }

  async function go(page) {
    const { q } = query(page)
    csv.dataset.href = `/api/members.csv?${q}`
    q.set('page', String(page))
    q.set('size', String(SIZE))
    let r
    try {
      r = await get(`/api/members?${q}`)
    } catch (err) {
      results.replaceChildren(errorBox(err))
      return
    }
    const pages = Math.max(1, Math.ceil(r.total / SIZE))
    results.replaceChildren(
      h('p', { class: 'muted' }, `共 ${r.total} 人 · 第 ${page}/${pages} 页`),
      table(
        [['成员', 'Member'], ['分组', 'Groups'], ['积分', 'Points', 'n'], ['最近发言', 'Last active'], ['入群', 'Joined'], ['标签', 'Tags']],
        r.items.map((m) =>
          h(
            'tr',
            { dataset: { member: m.id } },
            h('td', {}, h('a', { href: `#/members/${encodeURIComponent(m.id)}` }, m.name), h('div', {}, h('small', {}, m.names.filter((n) => n !== m.name).join(' / ') || m.id))),
            h('td', {}, m.groups.join(' ') || h('span', { class: 'muted' }, m.status === 'left' ? `已退 ${m.leftGroups.join(' ')}` : '—')),
            h('td', { class: 'n' }, m.points),
            h('td', {}, m.lastActive ? when(m.lastActive) : h('span', { class: 'muted' }, '没发过言')),
            h('td', {}, m.joined ? when(m.joined) : '—', m.via ? h('div', {}, h('small', {}, `关键词 ${m.via}`)) : m.inviterId ? h('div', {}, h('small', {}, `邀请人 ${m.inviterId}`)) : ''),
            h('td', {}, m.tags.map((t) => h('span', { class: 'tag' }, t))),
          ),
        ),
      ),
      h(
        'div',
        { class: 'row' },
        h('button', { class: 'quiet', disabled: page <= 1, onclick: () => go(page - 1) }, label('上一页', 'Previous')),
        h('button', { class: 'quiet', disabled: page >= pages, onclick: () => go(page + 1) }, label('下一页', 'Next')),
      ),
    )
  }
  await go(1)
}

const KINDS = {
  join: '入群',
  leave: '退群',
  present: '在群',
  name: '改名',
  messages: '发言',
  checkin: '签到',
  points: '积分',
  tag: '标签',
  untag: '标签',
  handoff: '转人工',
  order: '兑换',
  strike: '违规',
  removal: '移出',
  pardon: '赦免',
  subscribe: '预约',
}
const REASONS = { checkin: '签到', streakBonus: '连续签到奖励', adjust: '调整', redeem: '兑换', refund: '退款' }

async function renderProfile(view, id) {
  const path = `/api/members/${encodeURIComponent(id)}`
  let m
  let timeline
  try {
    ;[m, timeline] = await Promise.all([get(path), get(`${path}/timeline`)])
  } catch (err) {
    view.replaceChildren(h('p', {}, h('a', { href: '#/members' }, '← 会员列表')), errorBox(err))
    return
  }
  const msg = h('div')
  const act = async (method, p, body) => {
    try {
      await api(method, p, body)
      await renderProfile(view, id)
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }
  const forget = async () => {
    if (!window.confirm(`确定删除 ${m.name} 的全部数据吗？名字、入群记录、时间线、标签、转人工文字都会删除，积分总数以匿名身份保留。无法恢复。`)) return
    try {
      await api('DELETE', path)
      location.hash = '#/members'
    } catch (err) {
      msg.replaceChildren(errorBox(err))
    }
  }
  const tagInput = h('input', { name: 'tag', placeholder: '例如 VIP', maxlength: 20 })
  const pool = h('select', { name: 'pool' }, m.pools.map((p) => h('option', { value: p.pool, selected: p.pool === m.pool }, p.pool)))
  const delta = h('input', { name: 'delta', type: 'number', step: 1, placeholder: '+50 / -20', required: true })
  const reason = h('input', { name: 'reason', placeholder: '原因（写入积分明细）', required: true, maxlength: 200 })
  view.replaceChildren(
    h('p', {}, h('a', { href: '#/members' }, '← 会员列表 Members')),
    h(
      'div',
      { class: 'card', id: 'profile' },
      h('h1', {}, `${m.name} `, h('small', {}, m.id)),
      h('p', { class: 'muted' }, `用过的名字：${(m.names ?? []).join(' / ') || '—'}`, m.seen ? ` · 首次出现 ${when(m.seen)}` : '', m.lastActive ? ` · 最近发言 ${when(m.lastActive)}` : ''),
      h(
        'div',
        { class: 'row' },
        h('a', { href: '#', id: 'member-export', onclick: (e) => {
          e.preventDefault()
          void download(`${path}/export`, `member-${id}.json`).catch((err) => msg.replaceChildren(errorBox(err)))
        } }, label('导出数据 JSON', 'Export')),
        h('button', { class: 'quiet', id: 'forget', onclick: forget }, label('删除数据', 'Forget')),
      ),
      msg,
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, label('所在分组', 'Groups')),
      (m.groups ?? []).length === 0
        ? h('p', { class: 'muted' }, '还不知道在哪个群（下次核对群成员时会知道）')
        : table(
            [['分组', 'Group'], ['群', 'Room'], ['状态', 'Status'], ['入群', 'Joined'], ['退群', 'Left'], ['来源', 'Via']],
            m.groups.flatMap((g) =>
              g.rooms.map((r) =>
                h(
                  'tr',
                  {},
                  h('td', {}, g.group),
                  h('td', {}, r.topic),
                  h('td', {}, r.in ? '在群' : h('span', { class: 'muted' }, '已退')),
                  h('td', {}, r.joinedAt ? when(r.joinedAt) : '首次核对时已在群', r.found ? h('small', {}, '（核对发现）') : ''),
                  h('td', {}, r.leftAt ? when(r.leftAt) : '—'),
                  h('td', {}, r.via ? `关键词 ${r.via}` : r.inviterId ? h('a', { href: `#/members/${encodeURIComponent(r.inviterId)}` }, `邀请人 ${r.inviterId}`) : '—'),
                ),
              ),
            ),
          ),
    ),
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
        h('h2', {}, label('邀请的人', 'Invited')),
        (m.invited ?? []).length === 0
          ? h('p', { class: 'muted' }, '没有')
          : h('ul', {}, m.invited.map((i) => h('li', {}, h('a', { href: `#/members/${encodeURIComponent(i.id)}` }, i.name), ` · ${i.group}${i.joinedAt ? ` · ${when(i.joinedAt)}` : ''}`))),
      ),
    ),
    h(
      'div',
      { class: 'card', id: 'timeline' },
      h('h2', {}, label('时间线（最新在前）', 'Timeline')),
      timeline.length === 0
        ? h('p', { class: 'muted' }, '没有记录')
        : table(
            [['时间', 'When'], ['事件', 'What'], ['分组', 'Group'], ['详情', 'Detail']],
            timeline.map((e) => h('tr', { dataset: { kind: e.kind } }, h('td', {}, when(e.at)), h('td', {}, KINDS[e.kind] ?? e.kind), h('td', {}, e.group ?? ''), h('td', {}, e.detail))),
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
