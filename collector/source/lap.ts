// A consumer lapped by the kernel: the sub-buffer it waits for is gone, because another
// party acknowledged it (stats `consumed` reached it) or something freed its slot behind
// the module's accounting (relay's own read() of a cpu<N> file, PROTOCOL.md §3), so the
// slot now holds a later lap. Without this check the reader would wait for that sub-buffer
// forever. Found from the stats row read at the start of every pass (PROTOCOL.md §8), so
// within one pass. The records of the skipped sub-buffers become a `collector` loss when
// the next sub-buffer is walked (records.ts: the sub-buffer seq jumps).
import type { CpuStats } from '../../formats/stats.ts'

/** Sub-buffers [from, to) of `cpu` were gone before the reader took them. */
export interface Lap {
  cpu: number
  /** the sub-buffer the reader waited for */
  from: number
  /** the first sub-buffer it takes after the lap */
  to: number
  /** the stats row that showed it */
  consumed: number
  produced: number
}

/**
 * The sub-buffer a reader waiting for `next` goes on from, or 0 if it was not lapped.
 * - `consumed >= next`: someone acknowledged what the reader has not taken; the module
 *   keeps every unacknowledged sub-buffer (§3, no-overwrite), so the oldest one still
 *   present is consumed + 1 (complete once `produced` reaches it, §3.1).
 * - `produced >= next + n_subbufs`: sub-buffer next + n_subbufs, which lives in next's
 *   slot, is complete, so next is overwritten although no ack says so. The slot of
 *   produced - n + 1 is the one the open sub-buffer produced + 1 may be using, so the
 *   oldest complete one that can still be there is produced - n + 2.
 */
export function lapTarget (next: number, row: Pick<CpuStats, 'consumed' | 'produced'>, nSubbufs: number): number {
  if (row.consumed >= next) return row.consumed + 1
  if (row.produced >= next + nSubbufs) return row.produced - nSubbufs + 2
  return 0
}

/** The log line for a lap: one per lap, naming what was skipped and where it goes on. */
export function lapMessage (lap: Lap): string {
  const skipped = lap.to - lap.from
  const why = lap.consumed >= lap.from
    ? `another process acknowledged them (stats: consumed ${lap.consumed})`
    : `their slots hold later sub-buffers (stats: produced ${lap.produced}, consumed ${lap.consumed}; ` +
      'did something read() the cpu file?)'
  return `cpu ${lap.cpu}: lapped: ${skipped} sub-buffer${skipped === 1 ? '' : 's'} (${lap.from}..${lap.to - 1}) ` +
    `were gone before this consumer took them: ${why}; going on from sub-buffer ${lap.to}, ` +
    'their records are counted as lost (reason collector)'
}
