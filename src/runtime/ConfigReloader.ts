import { watch, type FSWatcher } from 'node:fs'
import { basename, dirname } from 'node:path'
import type { Logger } from 'pino'
import type { Skill } from '../engine/Skill.js'
import { loadConfig, type LoadedConfig } from '../config/loadConfig.js'
import { ConfigError, formatProblem } from '../config/problems.js'

export interface ReloadResult {
  ok: boolean
  problems: string[]
}

/**
 * Re-reads the config on `#reload` and when the file changes. A config with errors is
 * refused and the running one stays; reloads never overlap.
 */
export class ConfigReloader {
  private chain: Promise<unknown> = Promise.resolve()
  private watcher: FSWatcher | undefined
  private debounce: NodeJS.Timeout | undefined

  constructor(
    private readonly file: string,
    private readonly skills: readonly Skill<any>[],
    private readonly apply: (config: LoadedConfig) => Promise<void>,
    private readonly log: Logger,
    private readonly now: () => number,
  ) {}

  reload(why: string): Promise<ReloadResult> {
    const run = async (): Promise<ReloadResult> => {
      try {
        const config = await loadConfig(this.file, this.skills, this.now())
        await this.apply(config)
        for (const w of config.warnings) this.log.warn(formatProblem(w))
        this.log.info({ why, groups: config.groups.length }, 'config reloaded')
        return { ok: true, problems: config.warnings.map(formatProblem) }
      } catch (err) {
        if (!(err instanceof ConfigError)) throw err
        this.log.error({ why, problems: err.problems.map(formatProblem) }, 'new config refused; the running config stays')
        // the admin who typed #reload gets the errors; warnings are in the log
        return { ok: false, problems: err.errors.map(formatProblem) }
      }
    }
    const p = this.chain.then(run)
    this.chain = p.catch(() => {})
    return p
  }

  /** Watch the file's folder (editors replace files rather than write them in place). */
  watch(): void {
    const name = basename(this.file)
    try {
      this.watcher = watch(dirname(this.file), (_event, changed) => {
        if (changed !== null && changed !== name) return
        if (this.debounce) clearTimeout(this.debounce)
        this.debounce = setTimeout(() => void this.reload('file changed'), 500)
      })
      this.watcher.on('error', (err) => this.log.warn({ err }, 'config watch failed; use #reload'))
    } catch (err) {
      this.log.warn({ err }, 'cannot watch the config file; use #reload')
    }
  }

  close(): void {
    this.watcher?.close()
    if (this.debounce) clearTimeout(this.debounce)
  }
}
