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
