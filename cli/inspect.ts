// krelay inspect DIR...: what one or many archives hold (offline/inspect.ts); the work is
// in inspect/run.ts, loaded when the command runs.
import type { Command } from 'commander'
import { z } from 'zod'
import { addWindowOptions, archiveDirs, archiveFilter, windowSchema } from './archive-options.ts'
import { commanderOutput } from './errors.ts'
import { parseOptions } from './options.ts'
import { tableWidth } from './query.ts'

export const inspectSchema = z.object({
  json: z.boolean().default(false),
  ...windowSchema,
})

export function registerInspect (program: Command): void {
  const cmd = program.command('inspect')
    .configureOutput(commanderOutput('krelay inspect'))
    .description('say what archives hold: hosts, files, time range, records per CPU, level and type, losses, records per second')
    .usage('[options] DIR...')
    .argument('<dir...>', 'archive directories (krelay collect --out)')
    .option('--json', 'one JSON document instead of the report (cli/README.md has its fields)')
  addWindowOptions(cmd)
    .action(async (args: string[], raw: Record<string, unknown>) => {
      const opts = parseOptions(inspectSchema, raw)
      const dirs = archiveDirs(args)
      const filter = archiveFilter(opts)
      const { runInspect } = await import('./inspect/run.ts')
      process.exitCode = await runInspect({ dirs, filter, json: opts.json, width: tableWidth(process.stdout, process.env) })
    })
}
