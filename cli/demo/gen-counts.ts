// Generator records per CPU in a demo archive. With the scheduler source on (the demo on a
// terminal) a CPU's records are the generator's and exec/fork records in one sequence, so
// the demo counts the generator's by type; the rest of its checks (no duplicate, no gap,
// no loss) hold for every record.
import path from 'node:path'
import { lit } from '../../collector/archive/sql.ts'
import { parquetFiles } from '../../offline/read-archive.ts'

export async function genRecordsByCpu (out: string): Promise<Map<number, number>> {
  const byCpu = new Map<number, number>()
  if (parquetFiles(path.join(out, 'records')).length === 0) return byCpu
  const { DuckDBInstance } = await import('@duckdb/node-api')
  const instance = await DuckDBInstance.create(':memory:')
  const conn = await instance.connect()
  try {
    const glob = lit(path.join(out, 'records/**/*.parquet'))
    const r = await conn.runAndReadAll(`SELECT cpu, count(*) FILTER (WHERE type = 'gen') AS n FROM read_parquet(${glob}, hive_partitioning = true, hive_types = {'host': 'VARCHAR'}) GROUP BY cpu`)
    for (const row of r.getRowObjectsJS()) byCpu.set(Number(row.cpu), Number(row.n))
  } finally {
    conn.closeSync()
    instance.closeSync()
  }
  return byCpu
}
