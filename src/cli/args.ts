import { access } from 'node:fs/promises'
import { parseArgs } from 'node:util'

export interface CliArgs {
  config: string
  data: string
  /** The config was not named and config/bot.yaml is missing: the shipped example is used. */
  usingExample: boolean
}

export const DEFAULT_CONFIG = 'config/bot.yaml'
export const EXAMPLE_CONFIG = 'config/bot.example.yaml'

export async function parseCli(argv: string[]): Promise<CliArgs> {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      data: { type: 'string', short: 'd' },
    },
    allowPositionals: false,
  })
  let config = values.config ?? DEFAULT_CONFIG
  let usingExample = false
  if (!values.config && !(await exists(DEFAULT_CONFIG)) && (await exists(EXAMPLE_CONFIG))) {
    config = EXAMPLE_CONFIG
    usingExample = true
  }
  return { config, data: values.data ?? 'data', usingExample }
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path)
    return true
  } catch {
    return false
  }
}
