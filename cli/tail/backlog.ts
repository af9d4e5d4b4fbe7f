// Reads the history for -n / --since: the spool first, then the archive (the order the
// seam argument in seam.ts needs), then cuts the window.
import path from 'node:path'
import { LiveFilter } from '../../collector/live/filter.ts'
import type { LiveFilterSpec } from '../../formats/live-hello.ts'
import { archiveHistory } from './archive-history.ts'
import { historyWindow, spoolHistory, type HistoryItem, type HistoryWindow } from './history.ts'
import type { HistoryKey } from './seam.ts'

export interface BacklogOptions {
  /** the archive directory (krelay collect --out) */
  out: string
  /** its spool (krelay collect --spool), default <out>/.spool */
  spool?: string | undefined
  lines: number
  since?: bigint | undefined
  filter: LiveFilterSpec
  /** how many records the live stream has delivered so far (the archive query reads that many more) */
  liveCount: () => number
}

export async function readBacklog (o: BacklogOptions, inLive: (h: HistoryKey) => boolean): Promise<HistoryItem[]> {
  const w: HistoryWindow = { lines: o.lines, filter: new LiveFilter(o.filter), ...(o.since !== undefined ? { since: o.since } : {}) }
  if (w.since === undefined && w.lines === 0) return []
  const spooled = spoolHistory(o.spool ?? path.join(o.out, '.spool'), w)
  const contentFilter = Object.keys(o.filter).some(k => k !== 'cpu')
  // records the seam drops (the live stream has them) are at most those it delivered,
  // plus those delivered while the query runs: a margin for that
  const archived = await archiveHistory(o.out, w, contentFilter, spooled.records.length + o.liveCount() + 65536, o.filter.cpu)
  // the archive's losses first: of a loss in both, its row knows the record before the gap
  return historyWindow([...spooled.records, ...archived.records], [...archived.losses, ...spooled.losses], w, inLive)
}
