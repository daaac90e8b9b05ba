// The page's two helpers: the API (the session cookie + the session's secret in a header) and
// DOM building that never parses member-written text as HTML.

/**
 * The session's secret: given once by the login response and kept in this tab's
 * sessionStorage (never a cookie), sent on every request, reads included. The cookie alone
 * opens nothing: browsers send 127.0.0.1's cookies to every port, the secret stays in this page.
 */
export const SECRET_KEY = 'siyu.session'

function loginFirst() {
  sessionStorage.removeItem(SECRET_KEY)
  location.href = '/login'
  return new Error('请先登录 (log in first)')
}

/** Every request the page makes goes through here (the section pages get it as `get`/`send`). */
export async function api(method, path, body) {
  const secret = sessionStorage.getItem(SECRET_KEY)
  if (!secret) throw loginFirst()
  const headers = { 'x-csrf-token': secret }
  if (body !== undefined) headers['content-type'] = 'application/json'
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' })
  if (res.status === 401) throw loginFirst()
  const data = await res.json().catch(() => ({}))
  if (!res.ok) throw new Error(data.error ?? `HTTP ${res.status}`)
  return data
}

export const get = (path) => api('GET', path)

/**
 * A file from the API (a CSV, a member's export) saved through the session: its secret goes in
 * a header, so a plain link would be refused.
 */
export async function download(path, name) {
  const secret = sessionStorage.getItem(SECRET_KEY)
  if (!secret) throw loginFirst()
  const res = await fetch(path, { headers: { 'x-csrf-token': secret }, credentials: 'same-origin' })
  if (res.status === 401) throw loginFirst()
  if (!res.ok) throw new Error(`HTTP ${res.status}`)
  const url = URL.createObjectURL(await res.blob())
  const a = h('a', { href: url, download: name })
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** h('td', { class: 'n' }, 'text', child…): strings become text nodes, never markup. */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag)
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v === undefined || v === null || v === false) continue
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v)
    else if (k === 'dataset') Object.assign(el.dataset, v)
    else el.setAttribute(k, v === true ? '' : String(v))
  }
  for (const c of children.flat()) if (c !== undefined && c !== null && c !== false) el.append(c instanceof Node ? c : String(c))
  return el
}

/** `中文 English`: the Chinese label, the English one smaller. */
export const label = (zh, en) => [zh, ' ', h('small', {}, en)]

export function when(iso) {
  const d = new Date(iso)
  const p = (n) => String(n).padStart(2, '0')
  return `${d.getMonth() + 1}月${d.getDate()}日 ${p(d.getHours())}:${p(d.getMinutes())}`
}

export function table(head, rows) {
  return h(
    'table',
    {},
    h('thead', {}, h('tr', {}, head.map(([zh, en, cls]) => h('th', { class: cls }, label(zh, en))))),
    h('tbody', {}, rows),
  )
}

export function errorBox(err) {
  return h('p', { class: 'error', role: 'alert' }, `出错了：${err.message}`)
}
