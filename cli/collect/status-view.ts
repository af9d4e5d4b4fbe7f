// The collector's status snapshot as the console reads it (collector/collect/status-file.ts,
// formats/STATUS.md), with the fields `krelay status` adds (records_per_second,
// merge_lag_ms, archive.bytes) optional: the console shows them where the snapshot has
// them, and otherwise derives the one it can (a CPU's rate) from two snapshots.
import type { CollectorStatus } from '../../collector/collect/status-file.ts'

export interface CpuView {
  cpu: number
  records: number
  dropped: number
  /** record bytes spooled (headers' `committed`) */
  bytes?: number
  records_per_second?: number | null
}

export type StatusView = Omit<CollectorStatus, 'cpus' | 'archive'> & {
  cpus: CpuView[]
  merge_lag_ms?: number | null
  archive: (NonNullable<CollectorStatus['archive']> & { bytes?: number | null }) | null
}

/**
 * Records/s per CPU: the snapshot's own figure where it has one, else the difference to
 * `prev` (the same channel) over the time between them; undefined where neither is known.
 */
export function cpuRates (prev: StatusView | undefined, cur: StatusView): Map<number, number | undefined> {
  const rates = new Map<number, number | undefined>()
  const seconds = prev === undefined ? 0 : (Date.parse(cur.updated_at) - Date.parse(prev.updated_at)) / 1000
  const sameChannel = prev !== undefined && prev.channel_id === cur.channel_id
  for (const c of cur.cpus) {
    let rate: number | undefined
    if (typeof c.records_per_second === 'number') rate = c.records_per_second
    else if (sameChannel && seconds > 0) {
      const before = prev.cpus.find(p => p.cpu === c.cpu)?.records ?? 0
      if (c.records >= before) rate = (c.records - before) / seconds
    }
    rates.set(c.cpu, rate)
  }
  return rates
}
