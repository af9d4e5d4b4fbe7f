// krelay collect: follow the live channel, spool every complete sub-buffer before it is
// acknowledged, merge the CPUs by time and archive to Parquet until stopped.
import fs from 'node:fs'
import path from 'node:path'
import type { Command } from 'commander'
import type { CollectSummary } from '../collector/collect/collect.ts'
import type { CollectorStatus } from '../collector/collect/status-file.ts'
import { commanderOutput } from './errors.ts'
import { MiB } from './options.ts'
import { sdNotify } from './collect/sd-notify.ts'
import { stopOnSignals } from './signals.ts'
import { UsageError } from './errors.ts'
import { checkDataDir, UnsafeDirError } from '../collector/data-dir.ts'
import { groupId, LiveSocketError } from '../collector/live/socket-file.ts'
import type { LiveOptions } from '../collector/live/server.ts'
import { MetricsListenError } from '../collector/collect/metrics-listen.ts'
import { addConfigOptions, configSources } from './config/flags.ts'
import { loadConfig, type ConfigSources, type LoadedConfig } from './config/load.ts'
import { liveSettings, Reloader } from './collect/reload.ts'

export { DEFAULT_CHANNEL_DIR } from './config/fields.ts'

/** What one run of the collector was started with: the configuration, and its sources to load it again (SIGHUP). */
export interface CollectRun {
  sources: ConfigSources
  loaded: LoadedConfig
}

export function registerCollect (program: Command): void {
  const cmd = program.command('collect')
    .configureOutput(commanderOutput('krelay collect'))
    .description('collect records from the krelay module into a Parquet archive until SIGINT/SIGTERM (or until the module is unloaded, without --follow)')
  addConfigOptions(cmd)
    .action(async (raw: Record<string, unknown>) => {
      const sources = configSources(raw)
      const loaded = loadConfig(sources)
      // stderr: log lines, and a status line on a terminal (collect/console.ts)
      const { CollectConsole } = await import('./collect/console.ts')
      const stderr = new CollectConsole(process.stderr, { channelDir: loaded.config.channel })
      let drops: string | undefined
      let summary
      try {
        summary = await runCollect({ sources, loaded }, stderr.log, stderr.status)
      } finally {
        drops = stderr.close()
      }
      process.stdout.write(`${summaryLine(summary, loaded.config.archive.out)}\n${drops === undefined ? '' : `${drops}\n`}`)
    })
}

export async function runCollect (run: CollectRun, log: (line: string) => void, onStatus?: (s: CollectorStatus) => void): Promise<CollectSummary> {
  const { config: c } = run.loaded
  const out = path.resolve(c.archive.out)
  const spoolDir = path.resolve(c.spool.dir)
  const stop = stopOnSignals(log)
  // under systemd (Type=notify): ready once the channel is attached, not at start
  const notify = sdNotify(log)
  notify.status(`starting: waiting for the krelay channel at ${c.channel}`)
  stop.signal.addEventListener('abort', () => notify.stopping(), { once: true })
  // SIGHUP from the start: Node's default for it is to exit
  const reloader = new Reloader({ sources: run.sources, loaded: run.loaded, stopping: stop.signal, log }).listen()
  try {
    checkDataDirs(out, spoolDir)
    const live = await liveOptions(run.loaded, log)
    // the collector (and DuckDB) is loaded only when the command runs: --help and usage
    // errors stay fast, and less code runs at startup
    const { collect } = await import('../collector/collect/collect.ts')
    log(`collecting from ${c.channel} into ${out} (host ${c.host}, spool ${spoolDir}, fsync ${c.spool.fsync})`)
    // the same conversion as a reload's (collect/reload.ts), so that an unchanged file changes nothing
    const settings = liveSettings(c)
    return await collect({
      channelDir: c.channel,
      out,
      spoolDir,
      host: c.host,
      fsync: settings.fsync,
      segmentBytes: settings.segmentBytes,
      segmentAgeMs: settings.segmentAgeMs,
      spoolBudgetBytes: settings.spoolBudgetBytes,
      fileMode: c.archive.file_mode,
      maxFileBytes: settings.maxFileBytes,
      maxAgeSeconds: settings.maxAgeSeconds,
      follow: c.follow,
      compact: c.archive.compact,
      live,
      level: settings.level,
      metrics: c.metrics.listen,
      onHandle: h => reloader.attach(h),
      signal: stop.signal,
      log,
      onAttach: id => notify.attached(id),
      onStatus,
    })
  } catch (err) {
    // an address in use is the command line's (or configuration's) fault: exit 2, nothing started
    if (err instanceof MetricsListenError) throw new UsageError(err.message)
    throw err
  } finally {
    reloader.dispose()
    stop.dispose()
    await notify.flush()
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
async function liveOptions ({ config, origins }: LoadedConfig, log: (line: string) => void): Promise<LiveOptions | undefined> {
  const opts = config.live
  if (!opts.enabled) return undefined
  let gid: number | undefined
  try {
    gid = opts.group === undefined ? undefined : groupId(opts.group)
  } catch (err) {
    if (err instanceof LiveSocketError) throw new UsageError(err.message)
    throw err
  }
  const live: LiveOptions = { socketPath: opts.socket, gid, queueBytes: Math.round(opts.queue_mib * MiB) }
  if (origins['live.socket'] === 'default') {
    // Only the directory here: whether another collector listens is asked after the
    // channel's claim (collect()), so that a second collector is told who holds the channel.
    try {
      fs.mkdirSync(path.dirname(live.socketPath), { recursive: true, mode: 0o750 })
    } catch (err) {
      log(`no live stream (${(err as Error).message}): pass --live-socket PATH to serve one, or --no-live`)
      return undefined
    }
  }
  log(`serving the live stream on ${live.socketPath} (${gid === undefined ? 'root only' : `root and group ${opts.group}`})`)
  return live
}

export function summaryLine (s: CollectSummary, out: string): string {
  const replayed = s.replayedSubbufs > 0 ? `, ${s.replayedSubbufs} sub-buffers replayed from the spool` : ''
  const skipped = s.skipped > 0 ? ` (${s.skipped} already archived skipped)` : ''
  return `krelay collect: ${s.records} records archived${skipped}, ${s.lostRecords} records lost in ${s.losses} loss rows, ` +
    `${s.files} files in ${out}; ${s.channels} channel${s.channels === 1 ? '' : 's'}${replayed}`
}
