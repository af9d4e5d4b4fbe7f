// Whether an archive accounts for every record sequence number of each CPU exactly: the
// records and the loss rows together cover first..last with no seq twice, and each loss
// row's time range is the records on either side of it. Read back with DuckDB, as an
// analyst would. Shared by the host and guest tests of lost records.
import path from 'node:path'
import { lit } from '../collector/archive/sql.ts'

export interface LossRowRead {
  cpu: number
  reason: string
  firstSeq: number
  count: number
  /** ts_from is the ts of record firstSeq - 1, ts_to the ts of the first record after the row */
  neighbours: boolean
}

export interface CpuAccount {
  cpu: number
  records: number
  lost: number
  minSeq: number
  maxSeq: number
  /** highest seq of a record row */
  maxRecordSeq: number
  /** seqs in [minSeq, maxSeq] covered by no record and no loss row, or covered twice */
  holes: number
  doubles: number
}

export interface Accounting { cpus: CpuAccount[], losses: LossRowRead[] }

/** Every CPU of the one channel in archive `out`: how records and loss rows cover its seqs. */
export async function accountSeqs (out: string): Promise<Accounting> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  const opts = "hive_partitioning = true, hive_types = {'host': 'VARCHAR'}"
  const R = `read_parquet(${lit(path.join(out, 'records/**/*.parquet'))}, ${opts})`
  const L = `read_parquet(${lit(path.join(out, 'losses/**/*.parquet'))}, ${opts})`
  const rows = async (sql: string): Promise<Record<string, unknown>[]> =>
    (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
  try {
    await conn.run(`CREATE TABLE r AS SELECT cpu, seq::BIGINT AS seq, ts FROM ${R}`)
    try {
      await conn.run(`CREATE TABLE l AS SELECT cpu, first_seq::BIGINT AS first_seq, count::BIGINT AS count, ts_from, ts_to, reason FROM ${L}`)
    } catch {
      // no loss file at all
      await conn.run('CREATE TABLE l (cpu INTEGER, first_seq BIGINT, count BIGINT, ts_from TIMESTAMP_NS, ts_to TIMESTAMP_NS, reason VARCHAR)')
    }
    const losses = (await rows(`
      SELECT cpu, reason, first_seq, count,
        coalesce(ts_from = (SELECT r.ts FROM r WHERE r.cpu = l.cpu AND r.seq = l.first_seq - 1), false)
        AND coalesce(ts_to = (SELECT min_by(r.ts, r.seq) FROM r WHERE r.cpu = l.cpu AND r.seq >= l.first_seq + l.count), false) AS ok
      FROM l ORDER BY cpu, first_seq`)).map(r => ({
      cpu: Number(r.cpu), reason: String(r.reason), firstSeq: Number(r.first_seq), count: Number(r.count), neighbours: r.ok === true,
    }))
    const cpus = (await rows(`
      WITH covered AS (
        SELECT cpu, seq FROM r
        UNION ALL SELECT cpu, unnest(range(first_seq, first_seq + count)) AS seq FROM l WHERE count > 0),
      span AS (SELECT cpu, min(seq) AS lo, max(seq) AS hi FROM covered GROUP BY cpu),
      per AS (SELECT cpu, seq, count(*) AS n FROM covered GROUP BY cpu, seq)
      SELECT s.cpu, s.lo, s.hi,
        (SELECT count(*) FROM r WHERE r.cpu = s.cpu) AS records,
        (SELECT coalesce(max(seq), 0) FROM r WHERE r.cpu = s.cpu) AS max_record,
        (SELECT coalesce(sum(count), 0) FROM l WHERE l.cpu = s.cpu) AS lost,
        s.hi - s.lo + 1 - (SELECT count(*) FROM per WHERE per.cpu = s.cpu) AS holes,
        (SELECT count(*) FROM per WHERE per.cpu = s.cpu AND n > 1) AS doubles
      FROM span s ORDER BY s.cpu`)).map(r => ({
      cpu: Number(r.cpu),
      records: Number(r.records),
      lost: Number(r.lost),
      minSeq: Number(r.lo),
      maxSeq: Number(r.hi),
      maxRecordSeq: Number(r.max_record),
      holes: Number(r.holes),
      doubles: Number(r.doubles),
    }))
    return { cpus, losses }
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
