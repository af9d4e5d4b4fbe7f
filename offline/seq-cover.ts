// Whether an archive accounts for every sequence number exactly once: per channel and
// CPU, each `records` row covers its `seq` and each `losses` row with a count covers
// `first_seq .. first_seq + count - 1`; together they must tile 1 .. the last sequence
// number with no gap and no overlap (ARCHIVE.md, "What a loss row means"). Counting
// records and losses cannot show that: a duplicated loss row and a missing record cancel.
import { archiveScan, datasetFiles } from './archive-scan.ts'

export interface SeqCover {
  channelId: string
  cpu: number
  /** smallest sequence number covered (1 when the stream is complete from its start) */
  first: number
  /** largest sequence number covered */
  last: number
  records: number
  /** highest seq of a record row, 0 if none */
  lastRecord: number
  /** sum(count) of the loss rows */
  lost: number
  /** runs of sequence numbers covered by nothing, after `first` */
  gaps: number
  /** spans that start inside an earlier span: a record twice, a loss row twice, a record inside a loss row */
  overlaps: number
  /** the first gap or overlap, for messages: `seq 17..19 missing` or `seq 17 covered twice` */
  problem?: string
}

/** One row per (channel_id, cpu) found in either dataset, sorted. */
export async function seqCover (out: string): Promise<SeqCover[]> {
  const recordFiles = datasetFiles(out, 'records')
  const lossFiles = datasetFiles(out, 'losses')
  if (recordFiles.length === 0 && lossFiles.length === 0) return []
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const parts = [
      `SELECT channel_id, cpu, seq AS lo, seq + 1 AS hi, 1 AS rec, 0 AS lost FROM ${await archiveScan(conn, recordFiles, 'records', { columns: ['channel_id', 'cpu', 'seq'] })}`,
      `SELECT channel_id, cpu, first_seq, first_seq + count, 0, count FROM ${await archiveScan(conn, lossFiles, 'losses', { columns: ['channel_id', 'cpu', 'first_seq', 'count'] })} WHERE count > 0`,
    ]
    // `reach`: the end of everything before this span in (lo, hi) order
    const sql = `
      WITH spans AS (${parts.join(' UNION ALL ')}),
      walked AS (
        SELECT *, max(hi) OVER (PARTITION BY channel_id, cpu ORDER BY lo, hi
                                ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS reach
        FROM spans)
      SELECT channel_id, cpu, min(lo) AS first, max(hi) - 1 AS last, sum(rec) AS records, sum(lost) AS lost,
             coalesce(max(lo) FILTER (WHERE rec = 1), 0) AS last_record,
             count(*) FILTER (WHERE lo > reach) AS gaps,
             count(*) FILTER (WHERE lo < reach) AS overlaps,
             min(lo) FILTER (WHERE lo <> reach) AS bad_lo,
             arg_min(reach, lo) FILTER (WHERE lo <> reach) AS bad_reach
      FROM walked GROUP BY ALL ORDER BY ALL`
    const rows = (await conn.runAndReadAll(sql)).getRowObjectsJS() as Record<string, unknown>[]
    return rows.map(r => {
      const c: SeqCover = {
        channelId: String(r.channel_id),
        cpu: Number(r.cpu),
        first: Number(r.first),
        last: Number(r.last),
        records: Number(r.records),
        lastRecord: Number(r.last_record),
        lost: Number(r.lost),
        gaps: Number(r.gaps),
        overlaps: Number(r.overlaps),
      }
      if (r.bad_lo !== null && r.bad_lo !== undefined) {
        const lo = Number(r.bad_lo)
        const reach = Number(r.bad_reach)
        c.problem = lo > reach ? `seq ${reach}..${lo - 1} missing` : `seq ${lo} covered twice`
      }
      return c
    })
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
}
