// krelay status: what the kernel counts per CPU (its channel's info and stats) and, when a
// collector runs with the spool named (--out or --spool), what it reports in
// <spool>/status.json. The channel and spool may come from the collector's configuration
// (--config FILE or KRELAY_CONFIG, with its KRELAY_* variables, as `krelay collect` reads
// it); the flags here win. A table on a terminal, JSON otherwise or with --json. Either
// half may be missing (no module, no collector); with neither there is nothing to show: exit 1.
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import { CliFailure, commanderOutput } from './errors.ts'
import { parseOptions, pathOption } from './options.ts'
import { DEFAULT_CHANNEL_DIR } from '../collector/source/channel.ts'
import { CONFIG_ENV, loadConfig } from './config/load.ts'
import type { ServiceConfig } from './config/fields.ts'
import { readCollector } from './status/collector.ts'
import { readKernel } from './status/kernel.ts'
import { renderTable, type StatusReport } from './status/table.ts'

export const statusSchema = z.object({
  channel: pathOption('--channel').optional(),
  out: pathOption('--out').optional(),
  spool: pathOption('--spool').optional(),
  config: pathOption('--config').optional(),
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
    .option('--config <file>', `the collector's configuration file, for its channel and spool (default: $${CONFIG_ENV} if set)`)
    .option('--json', 'print JSON (the default when stdout is not a terminal)')
    .action((raw: Record<string, unknown>) => {
      const opts = parseOptions(statusSchema, raw)
      const report = statusReport(opts)
      process.stdout.write(opts.json || process.stdout.isTTY !== true ? `${JSON.stringify(report, null, 2)}\n` : renderTable(report))
    })
}

/** The collector's configuration file (cli/config/load.ts) when one is named; a bad one exits 2. */
function configured (opts: StatusCliOptions, env: NodeJS.ProcessEnv): ServiceConfig | undefined {
  if (opts.config === undefined && env[CONFIG_ENV] === undefined) return undefined
  return loadConfig({ file: opts.config, env, flags: {} }).config
}

/** The spool whose status.json is read, or undefined when none was named. */
function spoolDir (opts: StatusCliOptions, config: ServiceConfig | undefined): string | undefined {
  if (opts.spool !== undefined) return path.resolve(opts.spool)
  if (opts.out !== undefined) return path.resolve(opts.out, '.spool')
  return config === undefined ? undefined : path.resolve(config.spool.dir)
}

/** Both halves; throws CliFailure (exit 1) when neither the kernel's nor the collector's can be shown. */
export function statusReport (opts: StatusCliOptions, env = process.env): StatusReport {
  const config = configured(opts, env)
  const kernel = readKernel(opts.channel ?? config?.channel ?? DEFAULT_CHANNEL_DIR)
  const spool = spoolDir(opts, config)
  const collector = spool === undefined ? null : readCollector(spool)
  const noCollector = collector === null || collector.state === 'absent' || collector.state === 'unreadable'
  if (kernel.state !== 'loaded' && noCollector) {
    const why = collector?.why ?? 'no --out, --spool or --config given, so no collector was looked for'
    throw new CliFailure(`nothing to show: ${kernel.error}; ${why}`)
  }
  return { kernel, collector }
}
