import { access } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { isPostgresUrl, redactUrl } from '../store/postgres/connection.js'

export interface CliArgs {
  config: string
  data: string
  /** `postgres://…` (from --store or SIYU_STORE): the state lives there instead of in `data`. */
  store?: string
  /** The config was not named and config/bot.yaml is missing: the shipped example is used. */
  usingExample: boolean
}

export const DEFAULT_CONFIG = 'config/bot.yaml'
export const EXAMPLE_CONFIG = 'config/bot.example.yaml'

export async function parseCli(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<CliArgs> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      data: { type: 'string', short: 'd' },
      store: { type: 'string' },
    },
    allowPositionals: false,
  })
  let config = values.config ?? DEFAULT_CONFIG
  let usingExample = false
  if (!values.config && !(await exists(DEFAULT_CONFIG)) && (await exists(EXAMPLE_CONFIG))) {
    config = EXAMPLE_CONFIG
    usingExample = true
  }
  const store = values.store ?? (env.SIYU_STORE || undefined)
  if (store !== undefined && !isPostgresUrl(store)) {
    throw new Error(`--store must be a postgres://user@host:5432/db URL (the JSON files are chosen with --data); got "${redactUrl(store)}"`)
  }
  return { config, data: values.data ?? 'data', store, usingExample }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
