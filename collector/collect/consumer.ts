// What the merge feeds: one list of consumers, the archive first, then every live
// subscriber (collector/live/). Each gets the records in the merge's (ts, cpu, seq) order,
// the loss rows the pipeline appends, and the channel they come from; like perf's
// ordered-events deliver callback, the list is the one place records go.
import type { LossRow } from '../archive/index.ts'
import type { ReleasedKey } from '../../formats/live.ts'

export interface ChannelMeta {
  channelId: string
  /** decimal string, exact */
  monoToRealtimeNs: string
}

export interface Consumer {
  /**
   * Records and losses of `meta` follow (also told to a consumer that joins mid-channel).
   * `released`: to a consumer that joins mid-channel, the highest record the merge released
   * before it, if any (a live subscriber's history ends there: LIVE.md, "channel").
   */
  channel (meta: ChannelMeta, released?: ReleasedKey): void
  /**
   * One record, a view of the merge chunk holding it at `off`: valid only during the call.
   * May throw (the archive's StagingFullError) only if it is the first consumer: the
   * merge then keeps the record and emits it again, and no later consumer saw it.
   */
  record (view: DataView, off: number, cpu: number): void
  /** One loss row (reusable: copy what you keep). */
  loss (row: LossRow): void
  /** The end of a merge release: what was handed over may be written out. `all`: nothing is left in the merge. */
  released (all: boolean): void
}
