// Reads an archive back with DuckDB, as an analyst would.
import { DuckDBInstance } from '@duckdb/node-api'

export interface ArchiveCounts {
  records: number
  distinct: number
  perCpu: Map<number, number>
  losses: number
  lostRecords: number
  files: number
}

export async function countArchive (out: string): Promise<ArchiveCounts> {
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const rec = `read_parquet('${out}/records/**/*.parquet', hive_partitioning=true)`
    const one = async (sql: string): Promise<unknown[]> => (await conn.runAndReadAll(sql)).getRows()[0] ?? []
    const [records, distinct, files] = await one(`SELECT count(*)::INT, count(DISTINCT (channel_id, cpu, seq))::INT, count(DISTINCT filename)::INT FROM read_parquet('${out}/records/**/*.parquet', hive_partitioning=true, filename=true)`) as number[]
    const perCpu = new Map<number, number>()
    for (const [cpu, n] of (await conn.runAndReadAll(`SELECT cpu, count(*)::INT FROM ${rec} GROUP BY cpu`)).getRows()) perCpu.set(cpu as number, n as number)
    let losses: number | undefined = 0
    let lostRecords: number | undefined = 0
    const lossFiles = await conn.runAndReadAll(`SELECT count(*)::INT FROM glob('${out}/losses/**/*.parquet')`)
    if ((lossFiles.getRows()[0]?.[0] as number) > 0) {
      [losses, lostRecords] = await one(`SELECT count(*)::INT, coalesce(sum(count), 0)::INT FROM read_parquet('${out}/losses/**/*.parquet', hive_partitioning=true)`) as number[]
    }
    return { records: records!, distinct: distinct!, perCpu, losses: losses!, lostRecords: lostRecords!, files: files! }
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}
