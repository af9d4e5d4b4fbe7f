// The collector, on two threads so that capture never waits on the archive:
//
//   main thread (capture.ts)           archive worker (archive-worker.ts)
//   claim, map, validate,              live socket; follows the spool (spool-follower.ts):
//   append to the spool, ack ───────▶  reads what capture appended (page cache), merges,
//   "segment S holds N bytes,          archives (DuckDB), serves live subscribers,
//    watermarks W" (messages.ts)       publishes, deletes archived segments
//
// Every complete sub-buffer is appended to the spool before it is acknowledged, so a
// kill -9 at any instant loses nothing the kernel handed over; spool segments are
// deleted only once the Parquet files holding their records are final, and the segments
// found at start are fed to the archive first (replay), skipping what it already holds.
// The archive may lag behind capture during a burst; the spool absorbs it up to
// --spool-budget, past which capture stops acknowledging until the archive caught up.
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import type { CaptureMeta } from '../../formats/capture.ts'
import { parseInfo } from '../../formats/info.ts'
import { LEVEL_NAMES } from '../../formats/wire.ts'
import { openChannel, type Channel } from '../source/channel.ts'
import { claimChannelDir } from '../source/claim.ts'
import { CONSUMER_COLLECT } from '../source/consumer.ts'
import { ChannelError } from '../source/errors.ts'
import { DiskFullWait, StoppedWhileFullError } from '../disk-full.ts'
import { DEFAULT_FILE_MODE, setFileMode } from '../file-mode.ts'
import { scanSpool } from '../spool/spool-scan.ts'
import { SpoolWriter, type FsyncPolicy } from '../spool/spool-writer.ts'
import type { LiveOptions } from '../live/server.ts'
import { Archiver } from './archiver.ts'
import { captureChannel, openSegment, type CaptureContext } from './capture.ts'
import { LiveControl, type CollectorHandle } from './settings.ts'
import { StatusFile, type CollectorStatus } from './status-file.ts'
import type { MetricsListen } from './metrics-listen.ts'
import type { PipelineTotals } from './pipeline.ts'

export interface CollectOptions {
  channelDir: string
  out: string
  spoolDir: string
  host: string
  fsync: FsyncPolicy
  segmentBytes: number
  segmentAgeMs: number
  maxFileBytes: number
  maxAgeSeconds: number
  /** past this many bytes of spool, stop acknowledging until the archive caught up (default: no limit) */
  spoolBudgetBytes?: number
  /** mode of the files the collector creates (default 0640; directories get x where r is) */
  fileMode?: number
  /** compact each closed hour of this host's archive (collect/compactor.ts); default true */
  compact?: boolean
  /** wait for the module to be loaded (again) instead of stopping when it is gone */
  follow: boolean
  /** serve the merged stream to live subscribers (collector/live/); none when undefined */
  live?: LiveOptions
  signal: AbortSignal
  log: (line: string) => void
  /** hears each status snapshot (status-file.ts), about once a second and at the end: the console's status line */
  onStatus?: (s: CollectorStatus) => void
  /** called once the archive worker is ready (its DuckDB open), before capture starts reading */
  onReady?: () => void
  /** called when a channel is attached (capture starts reading it): at start, and after each module load with follow */
  onAttach?: (channelId: string) => void
  /** called once the collector runs, with the handle a reload applies settings through (settings.ts) */
  onHandle?: (h: CollectorHandle) => void
  /** test hook: while archiveGate[0] is not 0 the archive worker takes nothing from capture */
  archiveGate?: Int32Array
  /** the module's level filter (0..7), written to <channel>/control at every attach; undefined leaves the module's */
  level?: number
  /** serve Prometheus metrics at http://host:port/metrics (metrics.ts); none when undefined */
  metrics?: MetricsListen
}

export interface CollectSummary extends PipelineTotals {
  channels: number
  replayedSubbufs: number
}

export async function collect (opts: CollectOptions): Promise<CollectSummary> {
  // Refused before the spool, the archive or the live socket is touched: the collector that holds the
  // channel may be using them (PROTOCOL.md §6.1). The reader claims each channel again.
  claimChannelDir(opts.channelDir, CONSUMER_COLLECT)
  const fileMode = opts.fileMode ?? DEFAULT_FILE_MODE
  setFileMode(fileMode)
  const scan = scanSpool(opts.spoolDir) // reads only
  // before anything starts: an address in use fails the start (MetricsListenError); prom-client
  // is loaded only when metrics are asked for (each start costs seconds in a slow guest)
  const metrics = opts.metrics === undefined ? undefined : await (await import('./metrics.ts')).MetricsServer.listen(opts.metrics, opts.log)
  const halt = new AbortController()
  const onStop = (): void => halt.abort()
  opts.signal.addEventListener('abort', onStop, { once: true })
  if (opts.signal.aborted) halt.abort()
  try {
    // a second collector that got past the claim (no module yet) is refused in the worker,
    // at its live socket, before it touches the archive
    const archiver = await Archiver.start({
      out: opts.out,
      host: opts.host,
      spoolDir: opts.spoolDir,
      maxFileBytes: opts.maxFileBytes,
      maxAgeSeconds: opts.maxAgeSeconds,
      live: opts.live,
      replay: scan.segments,
      gate: opts.archiveGate,
      fileMode,
      compact: opts.compact ?? true,
    }, opts.log, () => halt.abort())
    opts.onReady?.()
    for (const file of scan.cut) {
      // the collector owns its spool: a segment that holds nothing goes, and says so
      fs.rmSync(file, { force: true })
      opts.log(`removed ${file}: a crash cut its header short, so it held no sub-buffer`)
    }
    // kept for the operator (it may hold records another tool can save); never fed
    for (const { why } of scan.damaged) opts.log(`${why}: segment skipped, left in the spool`)
    const spool = new SpoolWriter(opts.spoolDir, { fsync: opts.fsync, segmentBytes: opts.segmentBytes, segmentAgeMs: opts.segmentAgeMs },
      scan.lastNumber + 1, s => archiver.tell({ kind: 'closed', bytes: s.bytes }))
    const spoolBytes = (): number => scan.bytes + spool.written - archiver.deletedBytes
    const status = new StatusFile(opts.spoolDir, { spoolBytes, askArchive: () => archiver.tell({ kind: 'report' }), log: opts.log, onStatus: opts.onStatus })
    archiver.onReport = r => status.archiveReport(r)
    status.start()
    metrics?.serve({ status: () => status.snapshot(), channelDir: opts.channelDir })
    const ctx: CaptureContext = {
      spool,
      archiver,
      spoolBytes,
      budgetBytes: opts.spoolBudgetBytes ?? Infinity,
      status,
      halt: halt.signal,
      full: new DiskFullWait(opts.log, 'spooling waits and nothing is acknowledged: the kernel drops what does not fit ' +
        'in its buffers (archived as loss rows)', 'what was not spooled stays in the kernel, unacknowledged', halt.signal),
      log: opts.log,
    }
    const control = new LiveControl({
      level: opts.level,
      fsync: opts.fsync,
      segmentBytes: opts.segmentBytes,
      segmentAgeMs: opts.segmentAgeMs,
      spoolBudgetBytes: ctx.budgetBytes,
      maxFileBytes: opts.maxFileBytes,
      maxAgeSeconds: opts.maxAgeSeconds,
      liveQueueBytes: opts.live?.queueBytes,
    }, { spool, capture: ctx, tell: m => archiver.tell(m), live: opts.live !== undefined, log: opts.log })
    opts.onHandle?.(control)
    let channels = 0
    let failure: unknown
    let why = 'krelay collect stopped: the krelay module was unloaded'
    try {
      channels = await captureChannels(opts, scan.subbufSeq, ctx, control)
    } catch (err) {
      if (err instanceof StoppedWhileFullError) opts.log(err.message)
      else {
        failure = err
        why = `krelay collect failed: ${(err as Error).message}`
      }
    }
    let result
    try {
      spool.close()
    } catch (err) {
      failure ??= err
    }
    try {
      result = await archiver.stop(opts.signal.aborted ? 'krelay collect was stopped' : why)
    } catch (err) {
      failure ??= err
    }
    status.stop(result)
    if (failure !== undefined) throw failure
    return { ...result!.totals, channels, replayedSubbufs: result!.replayedSubbufs }
  } finally {
    opts.signal.removeEventListener('abort', onStop)
    await metrics?.close()
  }
}

/** Captures channel after channel (one per module load) until stopped; returns how many. */
async function captureChannels (opts: CollectOptions, spooled: Map<string, Map<number, number>>, ctx: CaptureContext, control: LiveControl): Promise<number> {
  let channels = 0
  for (;;) {
    const found = await waitForChannel(opts, ctx.halt)
    if (found === undefined) break
    const { channel, meta } = found
    channels++
    ctx.status?.channel(meta.channelId)
    if (meta.channelId === '') throw new Error(`${channel.dir}/info has no channel_id: this krelay module is too old for the collector`)
    opts.log(attachLine(channel))
    ctx.archiver.tell({ kind: 'channel', meta, cpus: [...channel.info.cpus] })
    await openSegment(ctx, meta)
    control.attached(channel)
    opts.onAttach?.(meta.channelId)
    const ended = await captureChannel(channel, meta, spooled.get(meta.channelId), ctx)
    control.detached()
    if (ended === 'stopped') break
    opts.log(`krelay module ${ended}: channel ${meta.channelId} ended`)
    ctx.spool.close()
    ctx.archiver.tell({ kind: 'ended' })
    if (!opts.follow) break
  }
  return channels
}

/**
 * The channel and its capture meta once the module is there. With --follow, a module
 * that is not loaded, or is being unloaded or loaded (its files vanish or refuse reads
 * meanwhile: capture comes back here at once after an unload), is waited for.
 */
async function waitForChannel (opts: CollectOptions, halt: AbortSignal): Promise<{ channel: Channel, meta: CaptureMeta } | undefined> {
  let told = false
  while (!halt.aborted) {
    try {
      const channel = openChannel(opts.channelDir)
      return { channel, meta: captureMeta(channel, opts.host) }
    } catch (err) {
      if (!opts.follow || !moduleAbsent(err)) throw err
      if (!told) opts.log(`waiting for the krelay module: ${(err as Error).message}`)
      told = true
      await sleep(250, undefined, { signal: halt }).catch(() => undefined)
    }
  }
  return undefined
}

/** "attached channel 0465bc6d2be7bd55: cpus 0 1, 8 sub-buffers of 262144 bytes per CPU, flush every 100 ms, level filter info" */
export function attachLine (channel: Channel): string {
  const i = channel.info
  return `attached channel ${i.channelId}: cpus ${i.cpus.join(' ')}, ${i.nSubbufs} sub-buffers of ${i.subbufSize} bytes per CPU, ` +
    `flush every ${i.flushIntervalMs} ms, level filter ${LEVEL_NAMES[i.minLevel] ?? i.minLevel}`
}

function moduleAbsent (err: unknown): boolean {
  let cause = err
  if (err instanceof ChannelError) {
    if (err.code === 'module-not-loaded' || err.code === 'not-a-channel') return true
    if (err.code !== 'io') return false
    cause = err.cause
  }
  const code = (cause as NodeJS.ErrnoException | null)?.code
  return code === 'ENOENT' || code === 'ENXIO' || code === 'EIO' || code === 'ENODEV'
}

function captureMeta (channel: Channel, host: string): CaptureMeta {
  const info = parseInfo(fs.readFileSync(path.join(channel.dir, 'info'), 'latin1'))
  return {
    channelId: info.channelId ?? '',
    monoToRealtimeNs: info.monoToRealtimeNs.toString(),
    createdRealtimeNs: (BigInt(Date.now()) * 1000000n).toString(),
    abiVersion: info.abiVersion,
    subbufSize: info.subbufSize,
    host,
  }
}
