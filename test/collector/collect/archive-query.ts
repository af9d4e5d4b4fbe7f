// Reads an archive back with DuckDB, as an analyst would.
import { DuckDBInstance } from '@duckdb/node-api'

export interface ArchiveCounts {
  records: number
  distinct: number
  perCpu: Map<number, number>
  losses: number
  lostRecords: number
  /** loss rows whose seq range holds an archived record */
  lossOverlaps: number
  /** loss rows whose time range is empty, reversed or not a plausible wall-clock time */
  badLossRanges: number
  files: number
}

export async function countArchive (out: string): Promise<ArchiveCounts> {
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const rec = `read_parquet('${out}/records/**/*.parquet', hive_partitioning=true)`
    const one = async (sql: string): Promise<unknown[]> => (await conn.runAndReadAll(sql)).getRows()[0] ?? []
    const ints = async (sql: string): Promise<number[]> => (await one(sql)).map(Number)
    const [records, distinct, files] = await one(`SELECT count(*)::INT, count(DISTINCT (channel_id, cpu, seq))::INT, count(DISTINCT filename)::INT FROM read_parquet('${out}/records/**/*.parquet', hive_partitioning=true, filename=true)`) as number[]
    const perCpu = new Map<number, number>()
    for (const [cpu, n] of (await conn.runAndReadAll(`SELECT cpu, count(*)::INT FROM ${rec} GROUP BY cpu`)).getRows()) perCpu.set(cpu as number, n as number)
    let [losses, lostRecords, lossOverlaps, badLossRanges] = [0, 0, 0, 0]
    const lossFiles = await conn.runAndReadAll(`SELECT count(*)::INT FROM glob('${out}/losses/**/*.parquet')`)
    if ((lossFiles.getRows()[0]?.[0] as number) > 0) {
      const los = `read_parquet('${out}/losses/**/*.parquet', hive_partitioning=true)`
      ;[losses = 0, lostRecords = 0] = await ints(`SELECT count(*)::INT, coalesce(sum(count), 0)::INT FROM ${los}`)
      ;[lossOverlaps = 0] = await ints(`SELECT count(*)::INT FROM ${rec} r JOIN ${los} l ON r.cpu = l.cpu AND r.seq >= l.first_seq AND r.seq < l.first_seq + l.count`)
      ;[badLossRanges = 0] = await ints(`SELECT count(*)::INT FROM ${los} WHERE ts_from > ts_to OR ts_from < TIMESTAMP '2000-01-01'`)
    }
    return { records: records!, distinct: distinct!, perCpu, losses, lostRecords, lossOverlaps, badLossRanges, files: files! }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}
