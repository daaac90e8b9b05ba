import { readFileSync } from 'node:fs'
import { packageFile } from './packageRoot.js'

/**
 * The `siyu` command: one word for each thing an operator does, each with its `--help`. The
 * npm scripts (`npm start`, `npm run check`, …) call it, so both spellings take the same flags.
 * A command's code is imported only when it runs: `siyu --help` loads no Wechaty.
 */
export interface Command {
  name: string
  /** One line for `siyu --help`. */
  summary: string
  /** What `siyu <name> --help` prints. */
  help: string
  /** The exit code for a bad flag or argument (each command keeps the codes it always had). */
  usageExit: number
  /** Runs it: the exit code, or undefined while it keeps running (start). */
  run(argv: string[]): Promise<number | undefined>
}

const STORE = `      --store <url>    postgres://user:pass@host:5432/db: keep the state in PostgreSQL instead of --data
                       (or SIYU_STORE; two processes on one database: active and standby)`

export const COMMANDS: readonly Command[] = [
  {
    name: 'start',
    summary: 'run the bot (no puppet token: the sandbox, a simulated WeChat in this terminal)',
    usageExit: 2,
    help: `usage: siyu start [--config config/bot.yaml] [--data data | --store postgres://…]

Runs the bot. Which WeChat it talks to follows Wechaty's environment: WECHATY_PUPPET_SERVICE_TOKEN
(and _ENDPOINT, _NO_TLS_INSECURE_CLIENT) goes live; without a token it opens the sandbox.

  -c, --config <file>  the config (default config/bot.yaml; in a clone without one, config/bot.example.yaml)
  -d, --data <dir>     where the state lives (default data/; the sandbox uses <dir>-sandbox beside it)
${STORE}
  -h, --help           this text

SIGINT/SIGTERM: stop taking events, write the store, exit 0 within 10 s.
Exit codes: 0 stopped, 1 unexpected failure, 2 bad config or arguments (every problem as
file:line:col), 3 unusable data dir or database (corrupt, or in use by another bot),
4 lost the lease to another process (start it again: it becomes the standby).`,
    run: async (argv) => (await import('./start.js')).runStart(argv),
  },
  {
    name: 'check',
    summary: 'validate a config without starting: a summary, or every problem as file:line:col',
    usageExit: 1,
    help: `usage: siyu check [--config config/bot.yaml]

  -c, --config <file>  the config to check (default config/bot.yaml)
  -h, --help           this text

Exit codes: 0 the config is usable (a summary: groups, skills, upcoming lives; warnings too),
1 it is not (every problem as file:line:col: message).`,
    run: async (argv) => {
      const { runCheck } = await import('./runCheck.js')
      return runCheck(argv, process.stdout, process.stderr)
    },
  },
  {
    name: 'backup',
    summary: 'a consistent copy of the state into a .tar.gz, also while the bot runs',
    usageExit: 1,
    help: `usage: siyu backup --to <file.tar.gz> [--data data]

  -d, --data <dir>     the data dir to copy (default data/); it takes no lock: the bot may run
      --to <file>      the archive to write (a plain .tar.gz with a manifest of sha256 sums)
  -h, --help           this text

Exit codes: 0 written, 1 failed (with its reason).`,
    run: async (argv) => (await import('./backup.js')).runBackup(argv),
  },
  {
    name: 'restore',
    summary: 'bring a backup back into an empty data dir',
    usageExit: 1,
    help: `usage: siyu restore --from <file.tar.gz> --data <empty dir>

      --from <file>    the archive siyu backup wrote
  -d, --data <dir>     an empty or new folder; a non-empty one is refused and left as it is
  -h, --help           this text

Exit codes: 0 restored (every sum checked, opened as the bot would), 1 refused or failed.`,
    run: async (argv) => (await import('./restore.js')).runRestore(argv),
  },
  {
    name: 'migrate',
    summary: 'copy the state between the JSON files and PostgreSQL, and verify the copy',
    usageExit: 2,
    help: `usage: siyu migrate --from <data dir | postgres://…> --to <data dir | postgres://…>

      --from <where>   the store to copy
      --to <where>     an empty store (a non-empty one is refused)
  -h, --help           this text

Exit codes: 0 copied and verified (key count and SHA-256 of every key and value on both
sides), 1 mismatch or failure, 2 bad arguments or a target that is not empty, 3 a source or
target in use by a running bot.`,
    run: async (argv) => (await import('./migrate.js')).runMigrate(argv),
  },
  {
    name: 'init',
    summary: 'start a bot from a few answers: config/bot.yaml, .env.example, deploy files',
    usageExit: 2,
    help: `usage: siyu init [dir] [--yes] [--brand <name>] [--group <name>=<topic pattern>]…
                 [--admin <contact id>]… [--skills a,b,c] [--timezone <IANA zone>] [--deploy] [--force]

Asks (on a terminal) the brand's name, the groups, the admins' contact ids, which skills and the
time zone, then writes into <dir> (default: here):
  config/bot.yaml   commented in Chinese and English; passes siyu check
  .env.example      the names of the environment variables (tokens, keys), never values
  deploy/           with --deploy: a systemd unit, a Dockerfile, and compose.yaml (the bot and PostgreSQL)

  -y, --yes                 ask nothing: the flags, defaults for the rest
      --brand <name>        the brand (names the bot and the shared point pool)
      --group <name>=<pat>  a group and the room topics it takes: a glob (希思黎粉丝*) or /regex/;
                            repeat for more groups (the same name twice: two patterns of one group)
      --admin <id>          an admin's WeChat contact id (wxid_…), never a display name; repeatable
      --skills <a,b,c>      which skills the groups run (default welcome,checkin,points,live,autoreply)
      --timezone <zone>     e.g. Asia/Shanghai (the default)
      --deploy              also write the deploy/ files
      --force               overwrite files that exist (otherwise nothing is written)
  -h, --help                this text

Exit codes: 0 written, 1 a file exists (named; nothing written) or could not be written,
2 a bad flag or answer (what is wrong and what is expected).`,
    run: async (argv) => (await import('./init.js')).runInit(argv),
  },
]

export function version(): string {
  return (JSON.parse(readFileSync(packageFile('package.json'), 'utf8')) as { version: string }).version
}

export function mainHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length))
  return `siyu ${version()} — 私域: a WeChat group-operations bot for brand fan groups

usage: siyu <command> [flags]

commands:
${COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`).join('\n')}

  siyu <command> --help   the flags and exit codes of one command
  siyu --version          the version

Start here: siyu init, then siyu check, then siyu start.`
}

export interface CliIo {
  out: (text: string) => void
  err: (text: string) => void
}

const stdio: CliIo = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) }

/** `siyu …`: the exit code, or undefined when the command keeps running (start). */
export async function runCli(argv: string[], io: CliIo = stdio): Promise<number | undefined> {
  const [first, ...rest] = argv
  if (first === undefined) {
    io.err(mainHelp())
    return 2
  }
  if (first === '--help' || first === '-h' || first === 'help') {
    const about = rest[0] === undefined ? undefined : COMMANDS.find((c) => c.name === rest[0])
    if (rest[0] !== undefined && !about) return unknown(rest[0], io)
    io.out(about ? about.help : mainHelp())
    return 0
  }
  if (first === '--version' || first === '-v') {
    io.out(version())
    return 0
  }
  const command = COMMANDS.find((c) => c.name === first)
  if (!command) return unknown(first, io)
  // --help anywhere before `--` (after it, everything is an argument)
  const own = rest.includes('--') ? rest.slice(0, rest.indexOf('--')) : rest
  if (own.includes('--help') || own.includes('-h')) {
    io.out(command.help)
    return 0
  }
  return command.run(rest)
}

function unknown(word: string, io: CliIo): number {
  const what = word.startsWith('-') ? `unknown flag ${word}` : `unknown command "${word}"`
  io.err(`siyu: ${what}; the commands are ${COMMANDS.map((c) => c.name).join(', ')} (siyu --help)`)
  return 2
}
