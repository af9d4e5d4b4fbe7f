// Every record row of an archive, in (ts, cpu, seq) order, with the JSON field names
// krelay tail --json uses, for comparing a tail's output with the archive.
import path from 'node:path'

export interface Row {
  channel_id: string
  cpu: number
  seq: number
  epoch_ns: string
  mono_ns: string
  level: string
  type: string
  pid: number
  comm: string
  msg: string | null
  data: string | null
}

export async function archiveRows (out: string): Promise<Row[]> {
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const db = await DuckDBInstance.create(':memory:')
  const conn = await db.connect()
  try {
    const glob = path.join(out, 'records/**/*.parquet').replace(/'/g, "''")
    const r = await conn.runAndReadAll(`SELECT channel_id, cpu, seq::BIGINT::INTEGER AS seq, (epoch_us(ts) * 1000 + ts_nanos)::VARCHAR AS epoch_ns, (epoch_us(ts) * 1000 + ts_nanos - mono_offset_ns)::VARCHAR AS mono_ns,
      level, type, pid, comm, msg, to_base64(data) AS data
      FROM read_parquet('${glob}', hive_partitioning = true) ORDER BY ts, ts_nanos, cpu, seq`)
    return r.getRowObjectsJS() as unknown as Row[]
  } finally {
    conn.closeSync()
    db.closeSync()
  }
}
