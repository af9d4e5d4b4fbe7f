// Status snapshots for the console's unit tests: a channel, CPUs' counts, a time.
import type { CollectorStatus } from '../../../collector/collect/status-file.ts'

type CpuCounts = CollectorStatus['cpus'][number]

export const T0 = Date.parse('2026-11-30T22:00:00.000Z')

export function snapshot (seconds: number, cpus: Array<Partial<CpuCounts> & { cpu: number }>, extra: Partial<CollectorStatus> = {}): CollectorStatus {
  return {
    version: 1,
    pid: 4711,
    state: 'running',
    started_at: new Date(T0).toISOString(),
    updated_at: new Date(T0 + seconds * 1000).toISOString(),
    channel_id: '0123456789abcdef',
    rss_bytes: 100 << 20,
    open_fds: 20,
    timers: 1,
    handles: 5,
    resources: { capture: {}, archive: null },
    spool_bytes: 3 << 20,
    cpus: cpus.map(c => ({ subbufs: 0, records: 0, dropped: 0, bytes: c.records === undefined ? 0 : c.records * 128, records_per_second: 0, ...c })),
    spool_oldest_segment: null,
    merge_lag_ms: 0,
    archive: { records: 0, losses: 0, lost_records: 0, skipped: 0, files: 57, bytes: 0, last_publish_at: null },
    live_subscribers: 0,
    ...extra,
  }
}
