import { api, errorBox, get, h, label, SECRET_KEY } from './lib.js'
import { renderGroup } from './pages/group.js'
import { renderInbox } from './pages/inbox.js'
import { renderMembers } from './pages/members.js'
import { renderChurn } from './pages/churn.js'
import { renderOverview } from './pages/overview.js'

const view = document.getElementById('view')
const nav = document.getElementById('nav')
// the skills' sections that are on (GET /api/session): id → { id, title, module, path?, order? }
const sections = new Map()

const routes = [
  [/^#?\/?$/, () => renderOverview(view)],
  [/^#\/group\/(.+)$/, (m) => renderGroup(view, decodeURIComponent(m[1]), [...sections.values()])],
  [/^#\/inbox(?:\/(open|closed))?$/, (m) => renderInbox(view, m[1] ?? 'open')],
  [/^#\/members(?:\/(.+))?$/, (m) => renderMembers(view, m[1] ? decodeURIComponent(m[1]) : '')],
  [/^#\/churn(?:\/([^/]+)(?:\/(\d+))?)?$/, (m) => renderChurn(view, m[1] ? decodeURIComponent(m[1]) : '', Number(m[2] ?? 30))],
  [/^#\/x\/([\w-]+)$/, (m) => renderSection(m[1])],
]

/** `订单 Orders` → 订单 <small>Orders</small>, as the core's menu entries. */
const titleLabel = (title) => {
  const at = title.indexOf(' ')
  return at < 0 ? title : label(title.slice(0, at), title.slice(at + 1))
}

/** Menu order: the core's entries carry data-order (10, 20, 40); a section without one is 100. */
function addToMenu(section) {
  const order = section.order ?? 100
  const link = h('a', { href: `#${section.path ?? `/x/${section.id}`}`, dataset: { order: String(order) } }, titleLabel(section.title))
  const after = [...nav.querySelectorAll('a')].find((a) => Number(a.dataset.order) > order)
  nav.insertBefore(link, after ?? null)
  // a section with its own address (the live desk's #/lives) is routed there too
  if (section.path) routes.push([{ exec: (hash) => (hash === `#${section.path}` ? [hash] : null) }, () => renderSection(section.id)])
}

async function renderSection(id) {
  const section = sections.get(id)
  if (!section) return view.replaceChildren(h('p', {}, '没有这个页面 (no such section)'))
  const mod = await import(section.module)
  view.replaceChildren(h('h1', {}, titleLabel(section.title)))
  const root = h('div')
  view.append(root)
  await mod.render(root, { get, send: api })
}

async function route() {
  const hash = location.hash || '#/'
  for (const a of nav.querySelectorAll('a')) a.classList.toggle('active', a.getAttribute('href') === hash || (hash.startsWith(a.getAttribute('href')) && a.getAttribute('href') !== '#/'))
  for (const [re, render] of routes) {
    const m = re.exec(hash)
    if (!m) continue
    try {
      await render(m)
    } catch (err) {
      view.replaceChildren(errorBox(err))
    }
    return
  }
  view.replaceChildren(h('p', {}, '没有这个页面 (not found)'))
}

async function refreshBadge() {
  try {
    const open = await get('/api/handoffs?status=open')
    const badge = document.getElementById('inbox-count')
    badge.textContent = String(open.length)
    badge.hidden = open.length === 0
  } catch {
    // the page shows its own errors
  }
}

async function boot() {
  const session = await get('/api/session')
  for (const s of session.sections) {
    sections.set(s.id, s)
    addToMenu(s)
  }
  document.getElementById('logout').addEventListener('click', async () => {
    await api('POST', '/logout').catch(() => {})
    sessionStorage.removeItem(SECRET_KEY)
    location.href = '/login'
  })
  window.addEventListener('hashchange', () => void route())
  await route()
  await refreshBadge()
  setInterval(refreshBadge, 30_000)
  document.body.dataset.ready = 'true'
}

boot().catch((err) => view.replaceChildren(errorBox(err)))
