const form = document.getElementById('login')
const error = document.getElementById('error')
form.addEventListener('submit', async (e) => {
  e.preventDefault()
  error.textContent = ''
  const res = await fetch('/login', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token: document.getElementById('token').value }),
  })
  if (res.ok) {
    location.href = '/'
    return
  }
  const body = await res.json().catch(() => ({}))
  error.textContent = res.status === 429 ? `登录失败次数过多，请稍后再试（${body.error}）` : `登录失败：${body.error ?? res.status}`
})
