// krelay status: what the kernel counts per CPU (its channel's info and stats) and, when a
// collector runs with the spool named (--out or --spool), what it reports in
// <spool>/status.json. A table on a terminal, JSON otherwise or with --json. Either half
// may be missing (no module, no collector); with neither there is nothing to show: exit 1.
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { CliFailure, commanderOutput } from './errors.ts'
import { parseOptions, pathOption } from './options.ts'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'
import { readCollector } from './status/collector.ts'
import { readKernel } from './status/kernel.ts'
import { renderTable, type StatusReport } from './status/table.ts'

export const statusSchema = z.object({
  channel: pathOption('--channel').optional(),
  out: pathOption('--out').optional(),
  spool: pathOption('--spool').optional(),
  json: z.boolean().default(false),
})

export type StatusCliOptions = z.output<typeof statusSchema>

export function registerStatus (program: Command): void {
  program.command('status')
    .configureOutput(commanderOutput('krelay status'))
    .description('show the kernel\'s per-CPU counters and, with --out or --spool, the running collector\'s figures (table on a terminal, JSON otherwise)')
    .option('--channel <dir>', `the module's channel directory (default: ${DEFAULT_CHANNEL_DIR})`)
    .option('--out <dir>', 'the collector\'s archive root: its status is <out>/.spool/status.json')
    .option('--spool <dir>', 'the collector\'s spool directory (its --spool), if not <out>/.spool')
    .option('--json', 'print JSON (the default when stdout is not a terminal)')
    .action((raw: Record<string, unknown>) => {
      const opts = parseOptions(statusSchema, raw)
      const report = statusReport(opts)
      process.stdout.write(opts.json || process.stdout.isTTY !== true ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report))
    })
}

/** The spool whose status.json is read, or undefined when none was named. */
function spoolDir (opts: StatusCliOptions): string | undefined {
  if (opts.spool !== undefined) return path.resolve(opts.spool)
  return opts.out === undefined ? undefined : path.resolve(opts.out, '.spool')
}

/** Both halves; throws CliFailure (exit 1) when neither the kernel's nor the collector's can be shown. */
export function statusReport (opts: StatusCliOptions): StatusReport {
  const kernel = readKernel(opts.channel ?? DEFAULT_CHANNEL_DIR)
  const spool = spoolDir(opts)
  const collector = spool === undefined ? null : readCollector(spool)
  const noCollector = collector === null || collector.state === 'absent' || collector.state === 'unreadable'
  if (kernel.state !== 'loaded' && noCollector) {
    const why = collector?.why ?? 'no --out or --spool given, so no collector was looked for'
    throw new CliFailure(`nothing to show: ${kernel.error}; ${why}`)
  }
  return { kernel, collector }
}
