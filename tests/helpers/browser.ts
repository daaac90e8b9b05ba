import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { chromium, type BrowserContext, type Page } from 'playwright-core'

/** The flags every run uses: no network of its own, no first-run or sync chatter. */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
]

/** Where @sparticuz/chromium unpacks its browser: a git-ignored project folder. */
const UNPACK_DIR = join(process.cwd(), '.tmp')

/**
 * A real headless Chromium: the system's `/usr/bin/chromium` when there is one, else the one
 * shipped inside the `@sparticuz/chromium` npm package (unpacked once into `.tmp/`), so
 * `npm install && npm test` needs nothing but the npm registry. Never `playwright install`.
 */
export async function chromiumPath(): Promise<string> {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (existsSync(p)) return p
  await mkdir(UNPACK_DIR, { recursive: true })
  // the package unpacks into os.tmpdir(): point it at the project folder for the call
  const saved = process.env.TMPDIR
  process.env.TMPDIR = UNPACK_DIR
  try {
    const { default: packaged } = await import('@sparticuz/chromium')
    return await packaged.executablePath()
  } finally {
    if (saved === undefined) delete process.env.TMPDIR
    else process.env.TMPDIR = saved
  }
}

export interface Browser {
  context: BrowserContext
  close(): Promise<void>
}

/** A browser with a fresh profile (its own --user-data-dir), removed on close. */
export async function launchBrowser(o: { env?: Record<string, string> } = {}): Promise<Browser> {
  const executablePath = await chromiumPath()
  const profile = await mkdtemp(join(tmpdir(), 'siyu-chromium-'))
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1280, height: 860 },
    locale: 'zh-CN',
    timezoneId: 'Asia/Shanghai',
    env: { ...process.env, ...o.env } as Record<string, string>,
  })
  return {
    context,
    close: async () => {
      await context.close().catch(() => {})
      await rm(profile, { recursive: true, force: true })
    },
  }
}

/**
 * A new page that records what the test checks afterwards: errors thrown in it, and every
 * confirm()/alert() it showed (each accepted, as an operator clicking OK).
 */
export async function watchedPage(browser: Browser, timeoutMs = 20_000): Promise<{ page: Page; pageErrors: string[]; dialogs: string[] }> {
  const page = await browser.context.newPage()
  page.setDefaultTimeout(timeoutMs)
  const pageErrors: string[] = []
  page.on('pageerror', (e) => pageErrors.push(e.message))
  const dialogs: string[] = []
  page.on('dialog', (d) => {
    dialogs.push(d.message())
    void d.accept()
  })
  return { page, pageErrors, dialogs }
}

/**
 * Log a page into the console as the operator does: the token in the login form. The page
 * keeps the session's secret in this tab's sessionStorage (a cookie alone opens nothing), so
 * the pages to visit next are opened in this same page; `then` is where it goes after.
 */
export async function loginWithToken(page: Page, base: string, token: string, then = '/'): Promise<void> {
  await page.goto(`${base}/login`)
  await page.locator('#token').fill(token)
  await page.locator('#login button[type=submit]').click()
  await page.waitForSelector('body[data-ready="true"]')
  if (then !== '/') {
    await page.goto(`${base}${then}`)
    await page.waitForSelector('body[data-ready="true"]')
  }
}
