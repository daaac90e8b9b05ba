import { api, errorBox, get, h, setCsrf } from './lib.js'
import { renderGroup } from './pages/group.js'
import { renderInbox } from './pages/inbox.js'
import { renderLives } from './pages/lives.js'
import { renderMembers } from './pages/members.js'
import { renderChurn } from './pages/churn.js'
import { renderOverview } from './pages/overview.js'

const view = document.getElementById('view')
const nav = document.getElementById('nav')
const sections = new Map()

const routes = [
  [/^#?\/?$/, () => renderOverview(view)],
  [/^#\/group\/(.+)$/, (m) => renderGroup(view, decodeURIComponent(m[1]))],
  [/^#\/inbox(?:\/(open|closed))?$/, (m) => renderInbox(view, m[1] ?? 'open')],
  [/^#\/lives$/, () => renderLives(view)],
  [/^#\/members(?:\/(.+))?$/, (m) => renderMembers(view, m[1] ? decodeURIComponent(m[1]) : '')],
  [/^#\/churn(?:\/([^/]+)(?:\/(\d+))?)?$/, (m) => renderChurn(view, m[1] ? decodeURIComponent(m[1]) : '', Number(m[2] ?? 30))],
  [/^#\/x\/([\w-]+)$/, (m) => renderSection(m[1])],
]

async function renderSection(id) {
  const section = sections.get(id)
  if (!section) return view.replaceChildren(h('p', {}, '没有这个页面 (no such section)'))
  const mod = await import(section.module)
  view.replaceChildren(h('h1', {}, section.title))
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
  setCsrf(session.csrf)
  for (const s of session.sections) {
    sections.set(s.id, s)
    nav.append(h('a', { href: `#/x/${s.id}` }, s.title))
  }
  document.getElementById('logout').addEventListener('click', async () => {
    await fetch('/logout', { method: 'POST', headers: { 'x-csrf-token': session.csrf ?? '' } })
    location.href = '/login'
  })
  window.addEventListener('hashchange', () => void route())
  await route()
  await refreshBadge()
  setInterval(refreshBadge, 30_000)
  document.body.dataset.ready = 'true'
}

boot().catch((err) => view.replaceChildren(errorBox(err)))
