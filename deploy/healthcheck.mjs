// Docker HEALTHCHECK for siyu: exit 0 when the console's GET /healthz answers 200, else 1.
// /healthz (no token) is 200 when the bot is logged in and its store is writable, 503
// otherwise. Plain JavaScript with Node's fetch: the slim image has no curl or wget, and a
// check should not pay for tsx. SIYU_HEALTHZ_URL overrides the address (another console.port).
const url = process.env.SIYU_HEALTHZ_URL || 'http://127.0.0.1:7350/healthz'
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) })
  const body = (await res.text()).slice(0, 300)
  if (res.status !== 200) {
    console.error(`unhealthy: ${url} answered ${res.status} ${body}`)
    process.exit(1)
  }
  console.log(`healthy: ${body}`)
  process.exit(0)
} catch (err) {
  console.error(`unhealthy: ${url} unreachable (${err?.cause?.code ?? err?.name ?? 'error'}: ${err?.message ?? err})`)
  process.exit(1)
}
