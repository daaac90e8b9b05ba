/**
 * siyu as a library (`import { siyu } from 'siyu'`): the Wechaty plugin that runs siyu inside
 * a host program's bot (src/plugin.ts), and the types around it. The `siyu` command is the
 * other way in (src/cli/siyu.ts).
 */
export { siyu, type SiyuPlugin, type SiyuPluginOptions } from './plugin.js'
export type { App as SiyuApp } from './runtime/App.js'
export { ConfigError, formatProblem, type Problem } from './config/problems.js'
export type { LoadedConfig, GroupConfig } from './config/loadConfig.js'
