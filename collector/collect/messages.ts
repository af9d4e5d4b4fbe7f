// What capture (the main thread) and the archive worker tell each other. Capture sends
// cheap facts in the order they happened, never record bytes: the worker reads those
// from the spool segments capture appended them to. Every message is small and
// structured-cloned.
import type { CaptureMeta } from '../../formats/capture.ts'
import type { LiveOptions } from '../live/server.ts'
import type { CpuWatermark } from '../source/reader-options.ts'
import type { PipelineTotals } from './pipeline.ts'
import type { ArchiveReport, PublishFigures } from './status-file.ts'

/** The worker's start: where to archive, and the segments that were in the spool (fed first). */
export interface WorkerSetup {
  out: string
  host: string
  spoolDir: string
  maxFileBytes: number
  maxAgeSeconds: number
  live?: LiveOptions
  /** closed segments found at start, in write order, with their sizes */
  replay: Array<{ file: string, bytes: number }>
  /** test hook: while gate[0] is not 0 the worker takes no message from capture (an archive that is stuck) */
  gate?: Int32Array
  /** mode of the files the collector creates (file-mode.ts) */
  fileMode: number
  /** compact closed hours of this host (collect/compactor.ts) */
  compact: boolean
}

/** Capture to worker, in order. */
export type ToWorker =
  /** rows of this channel follow (a module load); `cpus` are its CPUs */
  | { kind: 'channel', meta: CaptureMeta, cpus: number[] }
  /** capture opened this segment and wrote its header */
  | { kind: 'opened', file: string }
  /** the open segment now holds `bytes` bytes; then a reader pass ended with these watermarks */
  | { kind: 'spooled', bytes: number, watermarks: CpuWatermark[], /** Date.now() when told (merge_lag_ms, status-file.ts) */ at: number }
  /** the open segment is complete at `bytes` bytes */
  | { kind: 'closed', bytes: number }
  /** the channel ended: the module was unloaded or loaded again */
  | { kind: 'ended' }
  /** the spool is over its budget: publish what is staged now, delete what is archived, answer `drained` */
  | { kind: 'drain', id: number }
  /** capture stopped (`why` goes to live subscribers): empty the merge, publish, close, answer `done` */
  | { kind: 'stop', why: string }
  /** answered at once with `report`, outside the order above (for status.json, status-file.ts) */
  | { kind: 'report' }
  /** applied at once, outside the order above (a SIGHUP reload, settings.ts): archive file limits, live subscribers' queue */
  | { kind: 'settings', maxFileBytes: number, maxAgeSeconds: number, liveQueueBytes: number | undefined }

/** Worker to capture. */
export type FromWorker =
  /** the live socket listens and the archive is open: capture may start */
  | { kind: 'ready' }
  | { kind: 'log', line: string }
  /** archived segments were deleted: the spool holds `bytes` fewer bytes */
  | { kind: 'deleted', bytes: number }
  /** answer to `drain`: everything capture told before it is archived, as far as the merge allows */
  | { kind: 'drained', id: number }
  | { kind: 'done', totals: PipelineTotals, replayedSubbufs: number, published: PublishFigures }
  /** answer to `report`: the worker's active resources and totals so far */
  | { kind: 'report', report: ArchiveReport }
  /** the worker failed; `message` is what `krelay collect` fails with (`stack` for KRELAY_DEBUG=1) */
  | { kind: 'failed', message: string, stack?: string }
