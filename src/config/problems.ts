/** One thing wrong (or worth a warning) in a config, at a place in its file. */
export interface Problem {
  file: string
  line: number
  col: number
  message: string
  severity: 'error' | 'warning'
}

export function formatProblem(p: Problem): string {
  return `${p.file}:${p.line}:${p.col}: ${p.severity === 'warning' ? 'warning: ' : ''}${p.message}`
}

/** A config that cannot be used; `problems` says every reason, each with file:line:col. */
export class ConfigError extends Error {
  constructor(readonly problems: Problem[]) {
    super(problems.map(formatProblem).join('\n'))
    this.name = 'ConfigError'
  }

  get errors(): Problem[] {
    return this.problems.filter((p) => p.severity === 'error')
  }
}

/**
 * Put IME slips among the other problems. A slip explains whatever error YAML or the schema
 * reported on its line (`Implicit keys need to be on a single line`, `unknown key "　　points"`):
 * the slip becomes the error and replaces those. A slip marked `ifError` is shown only then.
 */
export function withSlips(problems: readonly Problem[], slips: ReadonlyArray<Problem & { ifError?: boolean; throughLine?: number }>): Problem[] {
  const errorLines = new Set(problems.filter((p) => p.severity === 'error').map((p) => p.line))
  const shown: Problem[] = []
  const explained = new Set<number>()
  for (const { ifError, throughLine, ...slip } of slips) {
    const upTo = Math.max(slip.line, throughLine ?? slip.line)
    let explains = false
    for (let line = slip.line; line <= upTo; line++) explains ||= errorLines.has(line)
    if (!explains && (ifError || slip.severity === 'warning')) {
      if (!ifError) shown.push(slip)
      continue
    }
    shown.push({ ...slip, severity: 'error' })
    for (let line = slip.line; line <= upTo; line++) explained.add(line)
  }
  const rest = problems.filter((p) => !(p.severity === 'error' && explained.has(p.line)))
  return [...rest, ...shown].sort((a, b) => a.line - b.line || a.col - b.col)
}
