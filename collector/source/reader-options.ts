// What a ChannelReader (reader.ts) is given and what it hands back: the callbacks of the
// consumer loop (PROTOCOL.md §8), the sub-buffers and rounds they receive, and a pass's result.
import type { CpuStats } from '../../formats/stats.ts'
import type { SubbufHeader } from '../../formats/subbuf-header.ts'
import type { Acker } from './ack.ts'
import type { CompleteSubbuf } from './decode-subbuf.ts'
import type { Lap } from './lap.ts'

export type { CompleteSubbuf, SubbufFault } from './decode-subbuf.ts'

export interface CpuWatermark { cpu: number, hi: number, lo: number }

/** After a pass over every CPU: the merge may emit records with ts below the minimum. */
export interface Round {
  watermarks: CpuWatermark[]
  minHi: number
  minLo: number
  /** the module is gone and everything complete has been handed on: emit everything */
  final: boolean
}

/**
 * A complete sub-buffer as it lies in the mapping: its header read and checked, its records
 * not walked. `bytes` and `header` are valid only until the onRawSubbuf callback (or the
 * promise it returns) settles: the ack that follows lets the kernel reuse the slot, and the
 * header object is reused for the CPU's next sub-buffer.
 */
export interface RawSubbuf {
  cpu: number
  seq: number
  /** the header and, when `status` is HEADER_OK, the committed record bytes (as decodeSubbuf's `bytes`) */
  bytes: Buffer
  header: SubbufHeader
  /** checkSubbufHeader's HEADER_* result; never HEADER_BAD_VERSION (the reader throws) */
  status: number
}

export interface ReaderOptions {
  /**
   * Called for each complete sub-buffer, decoded (decode-subbuf.ts: records walked and
   * validated, losses and faults found); the ack waits for a returned promise. Give this
   * or onRawSubbuf.
   */
  onSubbuf?(sub: CompleteSubbuf): void | Promise<void>
  /**
   * Instead of onSubbuf, for a consumer that passes the bytes on to something that decodes
   * them (capture: to the spool, which the archive worker decodes): each complete sub-buffer
   * with its header checked but its records not walked, which saves the hot path a walk of
   * every record. Whoever decodes the bytes later must judge the records (decodeSubbuf); the
   * ack waits for a returned promise.
   */
  onRawSubbuf?(sub: RawSubbuf): void | Promise<void>
  onRound?(round: Round): void | Promise<void>
  /** Defaults to channelAcker(channel) (ack.ts): writes to the channel's control file. */
  acker?: Acker
  /**
   * Claim the channel under this name (PROTOCOL.md §6.1, e.g. CONSUMER_COLLECT) before
   * anything is acknowledged: the constructor throws ChannelError 'claimed' naming the holder
   * if another process consumes it. Without it the first ack claims the channel as `-`.
   */
  claimAs?: string
  /** First sub-buffer seq to read on `cpu`; default stats.consumed + 1. */
  startAt?(cpu: number, stats: CpuStats): number | undefined
  /**
   * Sub-buffers were gone before the reader took them (lap.ts); it goes on from `lap.to`.
   * Their records become a `collector` loss at the next sub-buffer walked (records.ts).
   */
  onLap?(lap: Lap): void
  /** A CPU mapped after the reader started (its file appeared: it came online); `next` is the first seq it reads. */
  onCpuMapped?(cpu: number, next: number): void
  /**
   * run() watches the directory (cpu-files.ts) and passes at once when a cpu<N> file
   * appears or the directory goes; default true. Without it, the next pass finds them.
   */
  watchCpuFiles?: boolean
  /** The watch failed: new CPUs are then found at the next pass only. */
  onWatchError?(err: Error): void
  /**
   * run() waits on the channel's `wait` file between passes (PROTOCOL.md §9, waiter.ts);
   * default true. Without it, or without the file (an older module), it sleeps about one
   * flush interval after a pass that left nothing.
   */
  waitFile?: boolean
  /** the longest a pass runs before the event loop turns; default SLICE_MS */
  sliceMs?: number
}

/** Why a reader is done: its module went away, or another instance replaced it. */
export type ReaderEnd = 'unloaded' | 'reloaded'

export interface PassResult {
  subbufs: number
  /** some CPU had more complete sub-buffers than one pass takes */
  more: boolean
  /** set once the module is gone (this pass read the mappings to the end); open the channel again after 'reloaded' */
  ended: ReaderEnd | null
}
