// The login page: the operator token, or (opened from the one-time link, `?code=`) the code
// exchanged by POST. Either way the response carries the session's secret, which this tab
// keeps in sessionStorage (lib.js sends it on every request); the cookie alone opens nothing.
const SECRET_KEY = 'siyu.session'
const form = document.getElementById('login')
const error = document.getElementById('error')

async function login(body) {
  const res = await fetch('/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const data = await res.json().catch(() => ({}))
  if (res.ok && data.secret) {
    sessionStorage.setItem(SECRET_KEY, data.secret)
    location.replace('/')
    return
  }
  if (res.status === 429) error.textContent = `登录失败次数过多，请稍后再试（${data.error}）`
  else if (data.expired) error.textContent = '这个一次性登录链接已过期（10 分钟），新的链接已打印在原来的位置（终端或链接文件）。This link expired; a fresh one was printed where the first one was.'
  else if ('code' in body) error.textContent = '这个登录链接无效或已经用过了，请使用最新打印的一次性链接。This login link is not valid or was used already: use the newest one.'
  else error.textContent = `登录失败：${data.error ?? res.status}`
}

form.addEventListener('submit', (e) => {
  e.preventDefault()
  error.textContent = ''
  void login({ token: document.getElementById('token').value })
})

const code = new URLSearchParams(location.search).get('code')
if (code) {
  // out of the address bar and the history before anything else
  history.replaceState(null, '', '/login')
  void login({ code })
}
