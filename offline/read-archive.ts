// What an archive directory holds, read back with DuckDB as an analyst would: record
// counts per channel and CPU, duplicates, per-file order, losses. Used by `krelay demo`
// (host), the guest tests, the CLI tests and the collector tests.
// Files of format version 1 and 2 alike (archive-scan.ts).
import { archiveScan, datasetFiles } from './archive-scan.ts'

export { parquetFiles } from './archive-scan.ts'

export interface CpuCount {
  channelId: string
  cpu: number
  records: number
  distinctSeqs: number
  minSeq: number
  maxSeq: number
}

export interface LossSum {
  channelId: string
  cpu: number
  reason: string
  rows: number
  count: number
  /** smallest first_seq of these rows */
  firstSeq: number
}

export interface ArchiveContents {
  records: number
  /** rows beyond the first with the same (channel_id, cpu, seq) */
  duplicates: number
  /** record rows whose ts is below the previous row's in the same file */
  unsortedRows: number
  /** record rows below the previous row in (ts, cpu, seq) order within their file (equal keys of two channels are allowed) */
  unsortedKeyRows: number
  /** loss rows whose ts_from is below the previous row's in the same file */
  unsortedLossRows: number
  /** loss rows whose seq range holds an archived record of their channel and CPU */
  lossOverlaps: number
  /** loss rows whose time range is reversed or not a plausible wall-clock time */
  badLossRanges: number
  perCpu: CpuCount[]
  losses: LossSum[]
  lostRecords: number
  recordFiles: number
  lossFiles: number
  /** host= partitions seen */
  hosts: string[]
}

export async function readArchive (out: string): Promise<ArchiveContents> {
  const recordFiles = datasetFiles(out, 'records')
  const lossFiles = datasetFiles(out, 'losses')
  const result: ArchiveContents = {
    records: 0,
    duplicates: 0,
    unsortedRows: 0,
    unsortedKeyRows: 0,
    unsortedLossRows: 0,
    lossOverlaps: 0,
    badLossRanges: 0,
    perCpu: [],
    losses: [],
    lostRecords: 0,
    recordFiles: recordFiles.length,
    lossFiles: lossFiles.length,
    hosts: [],
  }
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
      (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
    const num = (v: unknown): number => Number(v ?? 0)
    const hosts = new Set<string>()
    const R = await archiveScan(conn, recordFiles, 'records', { hive: true, fileInfo: true })
    const L = await archiveScan(conn, lossFiles, 'losses', { hive: true, fileInfo: true })
    if (recordFiles.length > 0) {
      for (const r of await rows(`SELECT channel_id, cpu, count(*) AS n, count(DISTINCT seq) AS d, min(seq) AS lo, max(seq) AS hi FROM ${R} GROUP BY ALL ORDER BY ALL`)) {
        result.perCpu.push({ channelId: String(r.channel_id), cpu: num(r.cpu), records: num(r.n), distinctSeqs: num(r.d), minSeq: num(r.lo), maxSeq: num(r.hi) })
      }
      result.records = result.perCpu.reduce((s, c) => s + c.records, 0)
      result.duplicates = result.perCpu.reduce((s, c) => s + c.records - c.distinctSeqs, 0)
      const order = await rows(`
        SELECT count(*) FILTER (WHERE ts_ns < prev_ts) AS unsorted,
               count(*) FILTER (WHERE (ts_ns, cpu, seq) < (prev_ts, prev_cpu, prev_seq)) AS unsorted_key
        FROM (SELECT ts_ns, cpu, seq,
                     lag(ts_ns) OVER w AS prev_ts, lag(cpu) OVER w AS prev_cpu, lag(seq) OVER w AS prev_seq
              FROM ${R}
              WINDOW w AS (PARTITION BY filename ORDER BY file_row_number))
        WHERE prev_ts IS NOT NULL`)
      result.unsortedRows = num(order[0]?.unsorted)
      result.unsortedKeyRows = num(order[0]?.unsorted_key)
      for (const r of await rows(`SELECT DISTINCT host FROM ${R}`)) hosts.add(String(r.host))
    }
    if (lossFiles.length > 0) {
      for (const r of await rows(`SELECT channel_id, cpu, reason, count(*) AS n, sum(count) AS lost, min(first_seq) AS first FROM ${L} GROUP BY ALL ORDER BY ALL`)) {
        result.losses.push({ channelId: String(r.channel_id), cpu: num(r.cpu), reason: String(r.reason), rows: num(r.n), count: num(r.lost), firstSeq: num(r.first) })
      }
      result.lostRecords = result.losses.reduce((s, l) => s + l.count, 0)
      const order = await rows(`
        SELECT count(*) FILTER (WHERE ts_from_ns < prev) AS unsorted
        FROM (SELECT ts_from_ns, lag(ts_from_ns) OVER (PARTITION BY filename ORDER BY file_row_number) AS prev
              FROM ${L})`)
      result.unsortedLossRows = num(order[0]?.unsorted)
      if (recordFiles.length > 0) {
        const overlaps = await rows(`SELECT count(*) AS n FROM ${R} r JOIN ${L} l
          ON r.channel_id = l.channel_id AND r.cpu = l.cpu AND r.seq >= l.first_seq AND r.seq < l.first_seq + l.count`)
        result.lossOverlaps = num(overlaps[0]?.n)
      }
      const bad = await rows(`SELECT count(*) AS n FROM ${L} WHERE ts_from_ns > ts_to_ns OR ts_from < TIMESTAMPTZ '2000-01-01 00:00:00+00'`)
      result.badLossRanges = num(bad[0]?.n)
      for (const r of await rows(`SELECT DISTINCT host FROM ${L}`)) hosts.add(String(r.host))
    }
    result.hosts = [...hosts].sort()
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return result
}

/** Records per CPU summed over channels. */
export function recordsByCpu (c: ArchiveContents): Map<number, number> {
  const m = new Map<number, number>()
  for (const p of c.perCpu) m.set(p.cpu, (m.get(p.cpu) ?? 0) + p.records)
  return m
}

/** Lost records per CPU (optionally of one reason), summed over channels. */
export function lostByCpu (c: ArchiveContents, reason?: string): Map<number, number> {
  const m = new Map<number, number>()
  for (const l of c.losses) if (reason === undefined || l.reason === reason) m.set(l.cpu, (m.get(l.cpu) ?? 0) + l.count)
  return m
}
