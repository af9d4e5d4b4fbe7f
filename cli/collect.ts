// krelay collect: follow the live channel, spool every complete sub-buffer before it is
// acknowledged, merge the CPUs by time and archive to Parquet until stopped.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Command } from 'commander'
import { z } from 'zod'
import type { CollectSummary } from '../collector/collect/collect.ts'
import { commanderOutput } from './errors.ts'
import { defaultHostPartition, fileModeOption, fsyncOption, hostOption, MiB, optionValue, parseOptions, pathOption, positiveNumber } from './options.ts'
import { stopOnSignals } from './signals.ts'
import { UsageError } from './errors.ts'
import { checkDataDir, UnsafeDirError } from '../collector/data-dir.ts'
import { DEFAULT_LIVE_SOCKET, groupId, LiveSocketError } from '../collector/live/socket-file.ts'
import type { LiveOptions } from '../collector/live/server.ts'
import { MetricsListenError, parseListen } from '../collector/collect/metrics-listen.ts'

// the collector (and DuckDB) is loaded only when the command runs: --help and usage
// errors stay fast, and less code runs at startup
export const DEFAULT_CHANNEL_DIR = '/sys/kernel/debug/krelay'

export const collectSchema = z.object({
  channel: pathOption('--channel'),
  out: pathOption('--out'),
  spool: pathOption('--spool').optional(),
  host: hostOption().optional(),
  fsync: fsyncOption,
  fileSize: positiveNumber('--file-size', 'MiB', 1024 * 1024),
  fileAge: positiveNumber('--file-age', 'seconds', 86400),
  segmentSize: positiveNumber('--segment-size', 'MiB', 1024 * 1024),
  segmentAge: positiveNumber('--segment-age', 'seconds', 86400),
  spoolBudget: positiveNumber('--spool-budget', 'MiB', 1024 * 1024 * 1024),
  fileMode: fileModeOption,
  follow: z.boolean().default(false),
  compact: z.boolean().default(true),
  // the live stream's options are optional, not defaulted: absent, the defaults below apply
  live: z.boolean().optional(),
  liveSocket: pathOption('--live-socket').optional(),
  liveGroup: optionValue('--live-group', 'a group name or number', s => /^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$/.test(s) ? s : undefined).optional(),
  liveQueue: positiveNumber('--live-queue', 'MiB', 1024).optional(),
  metrics: optionValue('--metrics', 'host:port (port 0..65535, [v6 address]:port for IPv6)', parseListen).optional(),
})

export type CollectCliOptions = z.output<typeof collectSchema>

export function registerCollect (program: Command): void {
  program.command('collect')
    .configureOutput(commanderOutput('krelay collect'))
    .description('collect records from the krelay module into a Parquet archive until SIGINT/SIGTERM (or until the module is unloaded, without --follow)')
    .option('--channel <dir>', 'the module\'s channel directory', DEFAULT_CHANNEL_DIR)
    .requiredOption('--out <dir>', 'archive root: <out>/records/... and <out>/losses/...')
    .option('--spool <dir>', 'where complete sub-buffers are stored before they are acknowledged (default: <out>/.spool)')
    .option('--host <name>', 'the host= partition (default: this machine\'s host name)')
    .option('--fsync <when>', 'when spooled sub-buffers reach the disk: always, never or at most every <ms> milliseconds', '1000')
    .option('--file-size <MiB>', 'start a new Parquet file beyond this many MiB of rows', '128')
    .option('--file-age <seconds>', 'publish a Parquet file once its first row is this old', '60')
    .option('--segment-size <MiB>', 'start a new spool segment beyond this many MiB', '64')
    .option('--segment-age <seconds>', 'start a new spool segment when the open one is this old', '300')
    .option('--spool-budget <MiB>', 'past this many MiB of spool (the archive behind capture), stop acknowledging until the archive catches up: the kernel then counts drops, archived as loss rows', '1024')
    .option('--file-mode <octal>', 'mode of the spool and archive files it creates (directories get x where r is: 0640 -> 0750); nothing for others', '0640')
    .option('--follow', 'keep running when the module is unloaded, and attach to it when it is loaded again')
    .option('--live-socket <path>', `serve the merged stream to krelay tail on this Unix socket (default: ${DEFAULT_LIVE_SOCKET})`)
    .option('--live-group <name>', 'members of this group may connect too (socket mode 0660); without it only root may (0600)')
    .option('--live-queue <MiB>', 'what one live subscriber may hold before its records are skipped (default: 4)')
    .option('--no-live', 'serve no live stream')
    .option('--no-compact', 'do not compact closed hours (krelay compact DIR does it offline)')
    .option('--metrics <host:port>', 'serve Prometheus metrics at http://host:port/metrics (default: off; port 0 picks a free one, logged)')
    .action(async (raw: Record<string, unknown>) => {
      const opts = parseOptions(collectSchema, raw)
      const summary = await runCollect(opts)
      process.stdout.write(`${summaryLine(summary, opts.out)}\n`)
    })
}

export function defaultHost (): string {
  return defaultHostPartition(os.hostname(), 'this machine\'s')
}

export async function runCollect (opts: CollectCliOptions, log = (line: string): void => { process.stderr.write(`krelay collect: ${line}\n`) }): Promise<CollectSummary> {
  const out = path.resolve(opts.out)
  const spoolDir = path.resolve(opts.spool ?? path.join(out, '.spool'))
  const host = opts.host ?? defaultHost()
  checkDataDirs(out, spoolDir)
  const stop = stopOnSignals(log)
  try {
    const live = await liveOptions(opts, log)
    const { collect } = await import('../collector/collect/collect.ts')
    log(`collecting from ${opts.channel} into ${out} (host ${host}, spool ${spoolDir}, fsync ${opts.fsync})`)
    return await collect({
      channelDir: opts.channel,
      out,
      spoolDir,
      host,
      fsync: opts.fsync,
      segmentBytes: Math.round(opts.segmentSize * MiB),
      segmentAgeMs: Math.round(opts.segmentAge * 1000),
      spoolBudgetBytes: Math.round(opts.spoolBudget * MiB),
      fileMode: opts.fileMode,
      maxFileBytes: Math.round(opts.fileSize * MiB),
      maxAgeSeconds: opts.fileAge,
      follow: opts.follow,
      compact: opts.compact,
      live,
      metrics: opts.metrics,
      signal: stop.signal,
      log,
    })
  } catch (err) {
    // an address in use is the command line's (or configuration's) fault: exit 2, nothing started
    if (err instanceof MetricsListenError) throw new UsageError(err.message)
    throw err
  } finally {
    stop.dispose()
  }
}

/** Refuses (exit 2, before anything starts) an archive or spool directory others could plant files in. */
function checkDataDirs (out: string, spoolDir: string): void {
  try {
    checkDataDir(out, '--out')
    checkDataDir(spoolDir, '--spool')
  } catch (err) {
    if (err instanceof UnsafeDirError) throw new UsageError(err.message)
    throw err
  }
}

/**
 * The live stream's options, or none with --no-live. The default socket is best effort:
 * where /run/krelay cannot be made (not root), the collector runs without it and says so.
 */
async function liveOptions (opts: CollectCliOptions, log: (line: string) => void): Promise<LiveOptions | undefined> {
  if (opts.live === false) return undefined
  let gid: number | undefined
  try {
    gid = opts.liveGroup === undefined ? undefined : groupId(opts.liveGroup)
  } catch (err) {
    if (err instanceof LiveSocketError) throw new UsageError(err.message)
    throw err
  }
  const live: LiveOptions = { socketPath: opts.liveSocket ?? DEFAULT_LIVE_SOCKET, gid, queueBytes: Math.round((opts.liveQueue ?? 4) * MiB) }
  if (opts.liveSocket === undefined) {
    // Only the directory here: whether another collector listens is asked after the
    // channel's claim (collect()), so that a second collector is told who holds the channel.
    try {
      fs.mkdirSync(path.dirname(live.socketPath), { recursive: true, mode: 0o750 })
    } catch (err) {
      log(`no live stream (${(err as Error).message}): pass --live-socket PATH to serve one, or --no-live`)
      return undefined
    }
  }
  log(`serving the live stream on ${live.socketPath} (${gid === undefined ? 'root only' : `root and group ${opts.liveGroup}`})`)
  return live
}

export function summaryLine (s: CollectSummary, out: string): string {
  const replayed = s.replayedSubbufs > 0 ? `, ${s.replayedSubbufs} sub-buffers replayed from the spool` : ''
  const skipped = s.skipped > 0 ? ` (${s.skipped} already archived skipped)` : ''
  return `krelay collect: ${s.records} records archived${skipped}, ${s.lostRecords} records lost in ${s.losses} loss rows, ` +
    `${s.files} files in ${out}; ${s.channels} channel${s.channels === 1 ? '' : 's'}${replayed}`
}
