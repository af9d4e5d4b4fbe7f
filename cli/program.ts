// krelay's commands wired into one program (one file per command), and main(): every
// failure becomes one line on stderr and an exit status (0 ok, 1 runtime failure, 2 usage
// error). cli/main.ts runs it for bin/krelay.js; tests call main() in-process.
import { Command, CommanderError } from 'commander'
import { registerArchive } from './archive.ts'
import { registerCollect } from './collect.ts'
import { registerConfig } from './config.ts'
import { registerCompact } from './compact.ts'
import { registerDemo } from './demo/demo.ts'
import { registerInspect } from './inspect.ts'
import { registerQuery } from './query.ts'
import { registerReport } from './report.ts'
import { registerStatus } from './status.ts'
import { registerTail } from './tail.ts'
import { commanderOutput, describeError, EXIT_OK, EXIT_USAGE, exitCodeOf } from './errors.ts'
import { VERSION } from './version.ts'

let running = ''

export function buildProgram (): Command {
  const program = new Command('krelay')
    .description('move kernel log records out of krelay\'s per-CPU relay buffers and archive them to Parquet')
    .version(VERSION)
    .exitOverride()
    .configureOutput(commanderOutput('krelay'))
    .hook('preAction', (_program, action) => { running = commandPath(action) })
  registerCollect(program)
  registerConfig(program)
  registerArchive(program)
  registerCompact(program)
  registerTail(program)
  registerDemo(program)
  registerQuery(program)
  registerInspect(program)
  registerReport(program)
  registerStatus(program)
  return program
}

/** 'collect', or 'config check' for a subcommand. */
function commandPath (cmd: Command): string {
  const names: string[] = []
  for (let c: Command | null = cmd; c?.parent != null; c = c.parent) names.unshift(c.name())
  return names.join(' ')
}

export async function main (argv: readonly string[]): Promise<number> {
  running = ''
  try {
    await buildProgram().parseAsync([...argv], { from: 'user' })
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT_OK
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and --version exit 0; everything else commander refuses is a usage error
      return err.exitCode === 0 ? EXIT_OK : EXIT_USAGE
    }
    process.stderr.write(`krelay${running === '' ? '' : ` ${running}`}: ${describeError(err)}\n`)
    return exitCodeOf(err)
  }
}
