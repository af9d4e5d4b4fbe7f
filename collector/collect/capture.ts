// Capture, the collector's hot path, on the main thread: take every complete sub-buffer
// of one channel, append it to the spool, acknowledge it (in that order: nothing is
// acknowledged before it is in the spool), and tell the archive worker how far the spool
// goes after each reader pass, with the pass's watermarks. It waits for nothing but the
// disk, except past the spool's budget: then it stops acknowledging (the kernel counts
// drops, which the archive turns into loss rows) until the worker has caught up, and on a
// full disk: then it repeats the spool write every second (DiskFullWait) and acknowledges
// nothing meanwhile, so what is acknowledged is always in the spool.
import type { CaptureMeta } from '../../formats/capture.ts'
import { HEADER_OK } from '../../formats/subbuf-header.ts'
import { StoppedWhileFullError, type DiskFullWait } from '../disk-full.ts'
import { channelAcker } from '../source/ack.ts'
import type { Channel } from '../source/channel.ts'
import { CONSUMER_COLLECT } from '../source/consumer.ts'
import { ChannelError } from '../source/errors.ts'
import { flushChannel } from '../source/flush.ts'
import { lapMessage } from '../source/lap.ts'
import { ChannelReader } from '../source/reader.ts'
import type { RawSubbuf } from '../source/reader-options.ts'
import type { SpoolWriter } from '../spool/spool-writer.ts'
import type { Archiver } from './archiver.ts'
import { waitModuleGone } from './module-gone.ts'
import type { StatusFile } from './status-file.ts'

export interface CaptureContext {
  spool: SpoolWriter
  archiver: Archiver
  /** bytes the spool's segments hold now */
  spoolBytes: () => number
  /** past this many spool bytes, capture stops acknowledging until the archive caught up */
  budgetBytes: number
  /** status.json (status-file.ts), told of every spooled sub-buffer */
  status?: StatusFile
  /** aborts at a stop (SIGINT, SIGTERM) or when the archive worker failed */
  halt: AbortSignal
  /** waits out a full spool disk; its stop signal is `halt` */
  full: DiskFullWait
  log: (line: string) => void
}

/**
 * Opens the next spool segment for `meta` and tells the worker; on a full disk, once
 * there is room. Throws StoppedWhileFullError if capture is halted meanwhile.
 */
export async function openSegment (ctx: CaptureContext, meta: CaptureMeta): Promise<void> {
  for (;;) {
    try {
      ctx.spool.open(meta)
      break
    } catch (err) {
      await ctx.full.pause(err, ctx.spool.dir, ctx.spool.dir)
    }
  }
  ctx.full.resumed()
  ctx.archiver.tell({ kind: 'opened', file: ctx.spool.segment!.file })
  ctx.log(`spooling to ${ctx.spool.segment!.file}`)
}

/**
 * The spool refused a sub-buffer (`err`): when its disk is full, repeats the append every
 * second until it is taken (the reader acknowledges nothing meanwhile, so the kernel drops
 * what does not fit); throws StoppedWhileFullError if capture is halted first.
 */
async function appendWhenRoom (ctx: CaptureContext, sub: RawSubbuf, err: unknown): Promise<void> {
  // The reader acknowledges the sub-buffers spooled before this one as soon as this returns
  // (reader.ts, takeOne); the line saying that nothing is acknowledged waits until it has.
  await null
  for (;;) {
    await ctx.full.pause(err, ctx.spool.segment!.file)
    try {
      ctx.spool.append(sub.cpu, sub.bytes, 0, sub.seq)
      ctx.full.resumed()
      ctx.status?.spooled(sub.cpu, sub.header, sub.status === HEADER_OK)
      return
    } catch (again) {
      err = again
    }
  }
}

/** Reads one channel until it ends or the collector stops; returns how it ended. */
export async function captureChannel (
  channel: Channel, meta: CaptureMeta, spooled: Map<number, number> | undefined, ctx: CaptureContext
): Promise<'stopped' | 'unloaded' | 'reloaded'> {
  const { spool, archiver, log } = ctx
  // also startAt's: the reader keeps it, and closes it with its other descriptors
  const acker = channelAcker(channel)
  let stopping = false
  const reader = new ChannelReader(channel, {
    acker,
    claimAs: CONSUMER_COLLECT,
    startAt: (cpu, stats) => {
      // spooled before a crash but never acknowledged: the kernel still holds them
      const inSpool = spooled?.get(cpu) ?? 0
      if (inSpool > stats.consumed) acker.ack(cpu, inSpool)
      return Math.max(stats.consumed, inSpool) + 1
    },
    // the records skipped become collector loss rows where the worker decodes the spool
    onLap: lap => log(lapMessage(lap)),
    onCpuMapped: (cpu, next) => log(`cpu ${cpu} came online: mapped ${channel.cpuPath(cpu)} from sub-buffer ${next}`),
    onWatchError: err => log(`watching ${channel.dir} for CPUs coming online failed (${err.message}): they are found at the next pass instead`),
    // The bytes are a view of the mapping: written out (framed, with a CRC32C: CAPTURE.md)
    // before the ack lets the kernel reuse them; a header that failed its checks is spooled
    // alone, its frame giving the length. Capture checks each header but walks no record:
    // the archive worker decodes every spooled sub-buffer anyway (spool-feeder.ts) and counts
    // what is damaged there, as a replay of the spool would.
    onRawSubbuf: sub => {
      try {
        spool.append(sub.cpu, sub.bytes, 0, sub.seq)
      } catch (err) {
        return appendWhenRoom(ctx, sub, err)
      }
      ctx.status?.spooled(sub.cpu, sub.header, sub.status === HEADER_OK)
    },
    onRound: async round => {
      archiver.tell({ kind: 'spooled', bytes: spool.segment!.bytes, watermarks: round.watermarks, at: Date.now() })
      if (spool.shouldRotate()) await openSegment(ctx, meta)
      if (!stopping && ctx.spoolBytes() > ctx.budgetBytes) await holdForArchive(ctx, meta)
    },
  })
  let ended
  try {
    ended = await reader.run(ctx.halt)
  } catch (err) {
    if (!(err instanceof StoppedWhileFullError)) throw err
    // what was not spooled was not acknowledged: the kernel keeps it for the next start
    log(`${err.message}; the spool holds everything acknowledged`)
    reader.release()
    return 'stopped'
  }
  if (ended === 'unloaded') {
    await takeFinalFlush(reader, channel, ctx)
    return ended
  }
  if (ended !== 'stopped' || archiver.failed !== undefined) return ended
  // Stopping (PROTOCOL.md §8): make the kernel close every open sub-buffer, take them
  // all, then flush once more for drops that waited for a free slot; the worker empties
  // the merge only after, so nothing still in the kernel is older than what is emitted.
  // The budget does not hold this up: it is at most the kernel's buffer.
  stopping = true
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
    if (err instanceof StoppedWhileFullError) log(`${err.message}; the spool holds everything acknowledged`)
    else if (!(err instanceof ChannelError) && (err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
  } finally {
    // the descriptors the passes above opened again (reader.run() closed its own)
    reader.close()
  }
  return 'stopped'
}

/**
 * The reader saw the module going and read its mappings to the end, but the module's exit
 * flushes the open sub-buffers only later: once it is gone, take what that flush completed.
 */
async function takeFinalFlush (reader: ChannelReader, channel: Channel, ctx: CaptureContext): Promise<void> {
  if (!await waitModuleGone(channel.sys.sysModule, UNLOAD_WAIT_MS, ctx.halt) && !ctx.halt.aborted) {
    ctx.log(`the krelay module was still unloading after ${UNLOAD_WAIT_MS / 1000} s: records its last flush completes after now are not archived`)
  }
  for (;;) {
    const pass = await reader.pass()
    if (pass.subbufs === 0) break
  }
}

/** How long an unload may take before capture stops waiting for its last flush */
const UNLOAD_WAIT_MS = 10_000

const MiB = 1024 * 1024

/**
 * The spool is over its budget: no reader pass (so no acknowledgement) until the worker
 * has archived everything told so far and deleted what it could (resuming then even if
 * the merge still holds a few segments' records: the next pass's watermarks release
 * them). The open segment is closed first so that it can go too. Returns at once when capture is halted.
 */
async function holdForArchive (ctx: CaptureContext, meta: CaptureMeta): Promise<void> {
  const t0 = performance.now()
  const held = ctx.spoolBytes()
  ctx.log(`the spool holds ${(held / MiB).toFixed(1)} MiB, over --spool-budget ${(ctx.budgetBytes / MiB).toFixed(1)} MiB: ` +
    'not acknowledging until the archive catches up (what the kernel drops meanwhile is archived as loss rows)')
  await openSegment(ctx, meta)
  await ctx.archiver.drain(ctx.halt)
  if (ctx.halt.aborted) return
  ctx.log(`the archive caught up after ${((performance.now() - t0) / 1000).toFixed(1)} s (the spool holds ${(ctx.spoolBytes() / MiB).toFixed(1)} MiB): acknowledging again`)
}
