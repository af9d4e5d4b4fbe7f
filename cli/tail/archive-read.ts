// Reads one published archive file with DuckDB, a chunk of rows (2048) at a time, so that
// an archive of any size is never loaded: only the file being read is open. Files of
// format version 1 and 2 alike (offline/archive-scan.ts).
import type { DuckDBConnection } from '@duckdb/node-api'
import { lit } from '../../collector/archive/sql.ts'
import { archiveScan } from '../../offline/archive-scan.ts'
import { LOSS_SELECT, RECORD_SELECT, type LossTuple, type RecordTuple } from './archive-row.ts'

export class ArchiveReader {
  private constructor (private readonly conn: DuckDBConnection, private readonly close: () => void) {}

  static async open (): Promise<ArchiveReader> {
    const { DuckDBInstance } = await import('@duckdb/node-api')
    // small: it only ever streams one file
    const instance = await DuckDBInstance.create(':memory:', { memory_limit: '256MB', threads: '1' })
    const conn = await instance.connect()
    return new ArchiveReader(conn, () => {
      conn.closeSync()
      instance.closeSync()
    })
  }

  // No ORDER BY: that would sort the whole file in memory. Files are written sorted
  // (ARCHIVE.md, Guarantees), and one file read by one thread comes back in file order.

  /** Each row of a `records` file, in file order ((ts, cpu, seq)); `chunk` after each chunk. */
  async records (file: string, each: (row: RecordTuple) => void, chunk: () => Promise<void>): Promise<void> {
    await this.rows(`SELECT ${RECORD_SELECT} FROM ${await archiveScan(this.conn, [file], 'records')}`, each as (r: unknown[]) => void, chunk)
  }

  /** Each row of a `losses` file, in file order ((ts_from, cpu, first_seq)). */
  async losses (file: string, each: (row: LossTuple) => void, chunk: () => Promise<void>): Promise<void> {
    await this.rows(`SELECT ${LOSS_SELECT} FROM ${await archiveScan(this.conn, [file], 'losses')}`, each as (r: unknown[]) => void, chunk)
  }

  /**
   * True when the file is a compaction's output (kv `krelay.compacted`, formats/ARCHIVE.md,
   * "Compaction"): its rows were all published before, in the files it replaces.
   */
  async compacted (file: string): Promise<boolean> {
    const r = await this.conn.runAndReadAll(`SELECT count(*) FROM parquet_kv_metadata(${lit(file)}) WHERE decode(key) = 'krelay.compacted' AND decode(value) = '1'`)
    return r.getRowsJS()[0]?.[0] !== 0n
  }

  /** The largest time in a file (`ts`, or `ts_from` for losses), exact (0 for a file of no rows). */
  async lastTs (file: string, dataset: 'records' | 'losses'): Promise<bigint> {
    const col = dataset === 'records' ? 'ts_ns' : 'ts_from_ns'
    const r = await this.conn.runAndReadAll(`SELECT max(${col}) FROM ${await archiveScan(this.conn, [file], dataset)}`)
    return (r.getRowsJS()[0]?.[0] as bigint | null) ?? 0n
  }

  private async rows (sql: string, each: (row: unknown[]) => void, chunk: () => Promise<void>): Promise<void> {
    const result = await this.conn.stream(sql)
    for await (const rows of result.yieldRowsJs()) {
      for (const row of rows) each(row)
      await chunk()
    }
  }

  dispose (): void {
    this.close()
  }
}
