// The collector: replay what the spool holds, then follow the live channel.
// Every complete sub-buffer is appended to the spool before it is
// acknowledged, so a kill -9 at any instant loses nothing the kernel handed
// over; spool segments are deleted only once the Parquet files holding their
// records are final, and replay skips what those files already hold.
import fs from 'node:fs'
import path from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { dataView } from '../../formats/bytes.ts'
import type { CaptureMeta } from '../../formats/capture.ts'
import { parseInfo } from '../../formats/info.ts'
import { controlFileAcker } from '../source/ack.ts'
import { openChannel, type Channel } from '../source/channel.ts'
import { claimChannelDir } from '../source/claim.ts'
import { CONSUMER_COLLECT } from '../source/consumer.ts'
import { ChannelError } from '../source/errors.ts'
import { flushChannel } from '../source/flush.ts'
import { ChannelReader } from '../source/reader.ts'
import { segmentNumber, type Segment } from '../spool/segment.ts'
import { SpoolWriter, type FsyncPolicy } from '../spool/spool-writer.ts'
import { Pipeline, type PipelineTotals } from './pipeline.ts'
import { replaySpool } from './replay.ts'
import { LiveServer, type LiveOptions } from '../live/server.ts'

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
  /** wait for the module to be loaded (again) instead of stopping when it is gone */
  follow: boolean
  /** serve the merged stream to live subscribers (collector/live/); none when undefined */
  live?: LiveOptions
  signal: AbortSignal
  log: (line: string) => void
}

export interface CollectSummary extends PipelineTotals {
  channels: number
  replayedSubbufs: number
}

export async function collect (opts: CollectOptions): Promise<CollectSummary> {
  // Refused before the spool, the archive or the live socket is touched: the collector that holds the
  // channel may be using them (PROTOCOL.md §6.1). The reader claims each channel again.
  claimChannelDir(opts.channelDir, CONSUMER_COLLECT)
  // a second collector that got past the claim (no module yet) is refused here
  const live = opts.live === undefined ? undefined : await LiveServer.listen(opts.live, opts.log)
  let why = 'krelay collect stopped: the krelay module was unloaded'
  try {
    return await collectServing(opts, live)
  } catch (err) {
    why = `krelay collect failed: ${(err as Error).message}`
    throw err
  } finally {
    await live?.close(opts.signal.aborted ? 'krelay collect was stopped' : why)
  }
}

async function collectServing (opts: CollectOptions, live: LiveServer | undefined): Promise<CollectSummary> {
  const pipeline = await Pipeline.open({ out: opts.out, host: opts.host, maxFileBytes: opts.maxFileBytes, maxAgeSeconds: opts.maxAgeSeconds }, opts.spoolDir)
  live?.serve(pipeline)
  const segments: Segment[] = []
  const replay = await replaySpool(opts.spoolDir, pipeline)
  for (const file of replay.cutSegments) {
    // the collector owns its spool: a segment that holds nothing goes, and says so
    fs.rmSync(file, { force: true })
    opts.log(`removed ${file}: a crash cut its header short, so it held no sub-buffer`)
  }
  if (replay.subbufs > 0) opts.log(`replayed ${replay.subbufs} sub-buffers from ${replay.segments.length} spool segments (${pipeline.totals.skipped} records already archived)`)
  segments.push(...replay.segments)
  const lastNumber = replay.segments.reduce((n, s) => Math.max(n, segmentNumber(path.basename(s.file))), 0)
  const spool = new SpoolWriter(opts.spoolDir, { fsync: opts.fsync, segmentBytes: opts.segmentBytes, segmentAgeMs: opts.segmentAgeMs }, lastNumber + 1, s => segments.push(s))
  let channels = 0
  let current: string | undefined
  try {
    for (;;) {
      const channel = await waitForChannel(opts)
      if (channel === undefined) break
      channels++
      const meta = captureMeta(channel, opts.host)
      if (meta.channelId === '') throw new Error(`${channel.dir}/info has no channel_id: this krelay module is too old for the collector`)
      current = meta.channelId
      await pipeline.startChannel(meta, channel.info.cpus)
      spool.open(meta)
      const ended = await follow(channel, meta, pipeline, spool, segments, replay.subbufSeq.get(meta.channelId), opts)
      if (ended === 'stopped') break
      opts.log(`krelay module ${ended}: channel ${meta.channelId} ended`)
      await pipeline.finishChannel()
      pipeline.reloaded()
      spool.close()
      if (!opts.follow) break
    }
  } finally {
    spool.close()
    await pipeline.close()
    deleteArchived(segments, pipeline, current)
  }
  return { ...pipeline.totals, channels, replayedSubbufs: replay.subbufs }
}

/** Reads one channel until it ends or the collector stops; returns how it ended. */
async function follow (
  channel: Channel, meta: CaptureMeta, pipeline: Pipeline, spool: SpoolWriter, segments: Segment[],
  spooled: Map<number, number> | undefined, opts: CollectOptions
): Promise<'stopped' | 'unloaded' | 'reloaded'> {
  const acker = controlFileAcker(channel.controlPath, channel.sys)
  const reader = new ChannelReader(channel, {
    acker,
    claimAs: CONSUMER_COLLECT,
    startAt: (cpu, stats) => {
      // spooled before a crash but never acknowledged: the kernel still holds them
      const inSpool = spooled?.get(cpu) ?? 0
      if (inSpool > stats.consumed) acker.ack(cpu, inSpool)
      return Math.max(stats.consumed, inSpool) + 1
    },
    onCpuMapped: (cpu, next) => opts.log(`cpu ${cpu} came online: mapped ${channel.cpuPath(cpu)} from sub-buffer ${next}`),
    onWatchError: err => opts.log(`watching ${channel.dir} for CPUs coming online failed (${err.message}): they are found at the next pass instead`),
    onSubbuf: sub => {
      const own = Buffer.from(sub.bytes)
      spool.append(sub.cpu, own, sub.lastRecordSeq)
      pipeline.addSubbuf({ ...sub, view: dataView(own) })
    },
    onRound: async round => {
      await pipeline.round(round.watermarks)
      if (spool.shouldRotate()) spool.open(meta)
      pipeline.publishDue()
      deleteArchived(segments, pipeline, meta.channelId)
    },
  })
  const ended = await reader.run(opts.signal)
  if (ended !== 'stopped') return ended
  // Stopping (PROTOCOL.md §8): make the kernel close every open sub-buffer, take them
  // all, then flush once more for drops that waited for a free slot, and only then empty
  // the merge, so nothing still in the kernel is older than what is emitted.
  try {
    for (let flush = 0; flush < 2; flush++) {
      await flushChannel(channel)
      for (;;) {
        const pass = await reader.pass()
        if (pass.subbufs === 0 && !pass.more) break
      }
    }
    reader.release()
  } catch (err) {
    if (!(err instanceof ChannelError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  }
  return 'stopped'
}

async function waitForChannel (opts: CollectOptions): Promise<Channel | undefined> {
  let told = false
  while (!opts.signal.aborted) {
    try {
      return openChannel(opts.channelDir)
    } catch (err) {
      if (!opts.follow || !(err instanceof ChannelError) || (err.code !== 'module-not-loaded' && err.code !== 'not-a-channel')) throw err
      if (!told) opts.log(`waiting for the krelay module: ${err.message}`)
      told = true
      await sleep(250, undefined, { signal: opts.signal }).catch(() => undefined)
    }
  }
  return undefined
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

/**
 * Deletes closed spool segments whose every record is in a final Parquet file, then
 * lets the ledger forget the channels no remaining segment holds (`current`'s open
 * segment is not in `segments`).
 */
function deleteArchived (segments: Segment[], pipeline: Pipeline, current: string | undefined): void {
  if (!pipeline.lossesPublished) return
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i]!
    let done = true
    for (const [cpu, seq] of seg.maxSeq) {
      if (seq > pipeline.state.durableSeq('records', seg.meta.channelId, cpu)) { done = false; break }
    }
    if (!done) continue
    fs.rmSync(seg.file, { force: true })
    segments.splice(i--, 1)
  }
  pipeline.state.retainChannels(segments, current)
}
