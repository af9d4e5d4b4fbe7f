// The loss rows of an archive read back with DuckDB, as an analyst would, each with whether
// its ts_from and ts_to are the records on either side of it. offline/seq-cover.ts says
// whether records and loss rows cover every seq once; this says where each loss row lies.
// Shared by the host and guest tests of lost records.
import { archiveScan, datasetFiles } from '../offline/archive-scan.ts'

export interface LossRowRead {
  cpu: number
  reason: string
  firstSeq: number
  count: number
  /** ts_from is the ts of record firstSeq - 1, ts_to the ts of the first record after the row */
  neighbours: boolean
}

/** Every loss row of the one channel in archive `out`, by CPU and first_seq. */
export async function readLossRows (out: string): Promise<LossRowRead[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
  try {
    // exact ns times, from files of either format version (offline/archive-scan.ts)
    await conn.run(`CREATE TABLE r AS SELECT cpu, seq, ts_ns AS ts FROM ${await archiveScan(conn, datasetFiles(out, 'records'), 'records')}`)
    await conn.run(`CREATE TABLE l AS SELECT cpu, first_seq, count, ts_from_ns AS ts_from, ts_to_ns AS ts_to, reason
      FROM ${await archiveScan(conn, datasetFiles(out, 'losses'), 'losses')}`)
    const losses: LossRowRead[] = (await rows(`
      SELECT cpu, reason, first_seq, count,
        coalesce(ts_from = (SELECT r.ts FROM r WHERE r.cpu = l.cpu AND r.seq = l.first_seq - 1), false)
        AND coalesce(ts_to = (SELECT min_by(r.ts, r.seq) FROM r WHERE r.cpu = l.cpu AND r.seq >= l.first_seq + l.count), false) AS ok
      FROM l ORDER BY cpu, first_seq`)).map(r => ({
      cpu: Number(r.cpu), reason: String(r.reason), firstSeq: Number(r.first_seq), count: Number(r.count), neighbours: r.ok === true,
    }))
    return losses
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
