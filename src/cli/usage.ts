/**
 * node:util parseArgs's error in one line an operator can act on: `siyu start: unknown flag
 * --cofig (siyu start --help)` rather than its advice about positionals.
 */
export function usageError(command: string, err: unknown): string {
  const e = err as NodeJS.ErrnoException
  const message = e.message ?? String(err)
  const quoted = /'([^']+)'/.exec(message)?.[1] ?? ''
  const flag = /--[\w-]+/.exec(quoted)?.[0] ?? quoted
  let what = message
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') what = `unknown flag ${quoted}`
  else if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') what = message.includes('does not take') ? `${flag} takes no value` : `${flag} needs a value`
  else if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') what = `unexpected argument "${quoted}"`
  return `siyu ${command}: ${what} (siyu ${command} --help)`
}
